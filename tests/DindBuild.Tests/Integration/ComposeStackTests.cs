using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// <c>--compose-file</c> end to end with samples/compose-app: the real Docker Compose v2 in the DinD container, the test
/// service's exit code deciding; afterwards, through the docker CLI, nothing labelled with the session and no compose
/// project left on the host engine (the stack lived in the DinD daemon, which teardown removed with its container).
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ComposeStackTests(EngineFixture engine)
{
    private const string Sample = "samples/compose-app";

    [Fact]
    public async Task The_sample_stack_passes_counts_its_tests_logs_every_service_and_leaves_nothing_behind()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await RunAsync(session, artifacts, $"{Sample}/compose.yml");

        Assert.True(run.ExitCode == 0, run.Output);
        var report = JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml"));
        Assert.Equal(3, report.Tests);
        Assert.Equal(0, report.Failures);
        Assert.Contains(run.Lines, line => line.Contains("tests │", StringComparison.Ordinal) && line.Contains("test_app_counts_hits_in_redis PASSED", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("redis │", StringComparison.Ordinal) && line.Contains("Ready to accept connections", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("app │", StringComparison.Ordinal) && line.Contains("GET /hits", StringComparison.Ordinal));
        var markdown = await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-report.md"), TestContext.Current.CancellationToken);
        Assert.Contains("| Compose service redis | dindbuild/redis:trixie: running, healthy |", markdown, StringComparison.Ordinal);
        Assert.Contains($"| Compose service tests | dindbuild-{session}-tests: exited, exit code 0 |", markdown, StringComparison.Ordinal);
        // docker stats per service: redis and app run for the whole test run, so each has samples of its own.
        Assert.Matches(@"\| redis \| [1-9][0-9]* \| [0-9]+ % \| [0-9.]+ MiB \|", markdown);
        Assert.Matches(@"\| app \| [1-9][0-9]* \| [0-9]+ % \| [0-9.]+ MiB \|", markdown);
        var html = await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-report.html"), TestContext.Current.CancellationToken);
        Assert.Contains("id=\"service-resources\"", html, StringComparison.Ordinal);
        await AssertNothingLeftAsync(session);
    }

    [Fact]
    public async Task A_failing_test_in_the_stack_exits_3_with_the_test_services_log_and_its_report()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await RunAsync(session, artifacts, $"{Sample}/compose.yml", $"{Sample}/compose.failing.yml");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("the compose test service 'tests' exited with code 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("deliberately failing compose sample test", run.Output, StringComparison.Ordinal);
        var report = JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml"));
        Assert.Equal(4, report.Tests);
        Assert.Equal(1, report.Failures);
        await AssertNothingLeftAsync(session);
    }

    [Fact]
    public async Task A_dependency_that_never_gets_healthy_fails_the_run_naming_it_with_its_log_and_healthcheck()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await RunAsync(session, artifacts, $"{Sample}/compose.yml", $"{Sample}/compose.unhealthy.yml");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("service 'redis' never became healthy", run.Output, StringComparison.Ordinal);
        Assert.Contains("not ready, on purpose", run.Output, StringComparison.Ordinal);
        Assert.Contains("Ready to accept connections", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("did not finish within", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, line => line.Contains("tests │", StringComparison.Ordinal));
        await AssertNothingLeftAsync(session);
    }

    [Fact]
    public async Task After_a_SIGKILL_the_stack_is_labelled_with_the_session_inside_the_DinD_daemon_and_Reap_removes_it_all()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(
            ["DindTest", "--context", Sample, "--compose-file", $"{Sample}/compose.yml", "--artifacts-dir", artifacts.Path, "--session-id", session],
            interruptWhen: line => line.Contains("redis │", StringComparison.Ordinal),
            signal: "KILL");

        Assert.True(run.Interrupted, "the stack never started:\n" + run.Output);
        var dind = $"dindbuild-{session}";
        var inside = await DockerCli.OutputAsync(["exec", dind, "docker", "ps", "-a", "--filter", $"label=org.dindbuild.session={session}", "--format", "{{.Label \"com.docker.compose.service\"}}"]);
        Assert.Contains("redis", inside, StringComparison.Ordinal);
        Assert.Contains("tests", inside, StringComparison.Ordinal);
        var networks = await DockerCli.OutputAsync(["exec", dind, "docker", "network", "ls", "--filter", $"label=org.dindbuild.session={session}", "--format", "{{.Name}}"]);
        Assert.Contains($"dindbuild-{session}_default", networks, StringComparison.Ordinal);

        var reap = await BuildScript.RunAsync(["Reap", "--artifacts-dir", artifacts.Combine("reap")]);

        Assert.True(reap.ExitCode == 0, reap.Output);
        await AssertNothingLeftAsync(session);
    }

    [Fact]
    public async Task A_stack_under_tmp_whose_image_is_nowhere_fails_SeedImages_with_the_list_before_any_build()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        using var project = new TempDirectory();
        var session = BuildScript.NewSessionId();
        await File.WriteAllTextAsync(project.Combine("compose.yml"), "services:\n  tests:\n    image: dindbuild/nowhere:1\n  cache:\n    image: dindbuild/also-nowhere:2\n", TestContext.Current.CancellationToken);

        var run = await RunAsync(session, artifacts, project.Combine("compose.yml"));

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("2 images are nowhere the session's daemon can get them from", run.Output, StringComparison.Ordinal);
        Assert.Contains("dindbuild/nowhere:1 (needed by the compose stack)", run.Output, StringComparison.Ordinal);
        Assert.Contains("dindbuild/also-nowhere:2 (needed by the compose stack)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, line => line.Contains("Building compose service", StringComparison.Ordinal));
        await AssertNothingLeftAsync(session);
    }

    [Fact]
    public async Task Dood_mode_refuses_a_stack_with_exit_2_before_any_daemon_starts()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--context", Sample, "--compose-file", $"{Sample}/compose.yml", "--artifacts-dir", artifacts.Path, "--session-id", session]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--compose-file needs --docker-mode dind", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, line => line.Contains("resources are labelled", StringComparison.Ordinal));
        await AssertNothingLeftAsync(session);
    }

    private static Task<BuildScriptResult> RunAsync(string session, TempDirectory artifacts, params string[] composeFiles) =>
        BuildScript.RunAsync(["DindTest", "--context", Sample, .. composeFiles.SelectMany(file => new[] { "--compose-file", file }), "--test-timeout", "5m", "--artifacts-dir", artifacts.Path, "--session-id", session]);

    private static async Task AssertNothingLeftAsync(string session)
    {
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        var project = $"label=com.docker.compose.project=dindbuild-{session}";
        Assert.Empty((await DockerCli.OutputAsync(["ps", "-aq", "--filter", project])).Trim());
        Assert.Empty((await DockerCli.OutputAsync(["network", "ls", "-q", "--filter", project])).Trim());
        Assert.Empty((await DockerCli.OutputAsync(["volume", "ls", "-q", "--filter", project])).Trim());
        Assert.Empty(Directory.EnumerateDirectories("/tmp", $"dindbuild-{session}*"));
    }
}
