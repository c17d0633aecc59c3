using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// The fault table: each way a run goes wrong gets its exit code (2 parameters, 3 tests, 4 build,
/// 5 infrastructure), an error that says what failed with evidence and a fix, and a clean host.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class FaultTests(EngineFixture engine)
{
    [Fact]
    public async Task A_daemon_that_cannot_start_fails_at_once_with_its_log()
    {
        engine.RequireEngine();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--daemon-arg=--no-such-flag", "--daemon-timeout", "10m", "--session-id", session]);

        Assert.Equal(5, run.ExitCode);
        Assert.Contains("did not become ready", run.Output, StringComparison.Ordinal);
        Assert.Contains("the container is exited", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("timed out", run.Output, StringComparison.Ordinal);
        Assert.Contains("unknown flag: --no-such-flag", run.Output, StringComparison.Ordinal);
        await AssertCleanAsync(session);
    }

    [Fact]
    public async Task A_DinD_image_that_is_missing_and_not_buildable_is_named_with_the_pull_error()
    {
        engine.RequireEngine();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--dind-image", "example.invalid/no-such-dind:1", "--session-id", session]);

        Assert.Equal(5, run.ExitCode);
        Assert.Contains("The DinD image example.invalid/no-such-dind:1 is not on the host engine and cannot be pulled", run.Output, StringComparison.Ordinal);
        Assert.Contains("docker load", run.Output, StringComparison.Ordinal);
        await AssertCleanAsync(session);
    }

    [Theory]
    [InlineData("RunTests", "test │ tests-started")]
    [InlineData("BuildImage", "RUN echo building-now")]
    public async Task A_DinD_container_killed_mid_step_is_reported_as_the_daemon_stopping(string step, string marker)
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nRUN echo building-now && sleep 60\n", TestContext.Current.CancellationToken);
        var session = BuildScript.NewSessionId();
        string[] arguments = step == "BuildImage"
            ? ["DindTest", "--context", context.Path, "--session-id", session]
            : ["DindTest", "--test-command", "echo tests-started; sleep 600", "--session-id", session];
        var killed = 0;

        var run = await BuildScript.RunAsync(arguments, interruptWhen: line =>
        {
            if (line.Contains(marker, StringComparison.Ordinal) && Interlocked.Exchange(ref killed, 1) == 0)
            {
                _ = DockerCli.RunAsync(["kill", $"dindbuild-{session}"]);
            }

            return false;
        });

        Assert.Equal(1, killed);
        Assert.Equal(5, run.ExitCode);
        Assert.Contains($"The DinD daemon stopped during {step}", run.Output, StringComparison.Ordinal);
        await AssertCleanAsync(session);
    }

    [Fact]
    public async Task A_Dockerfile_syntax_error_fails_the_build_with_the_parsers_word()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nRUNN echo typo\n", TestContext.Current.CancellationToken);
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--context", context.Path, "--session-id", session]);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("unknown instruction: RUNN", run.Output, StringComparison.OrdinalIgnoreCase);
        await AssertCleanAsync(session);
    }

    [Fact]
    public async Task A_missing_base_image_fails_the_build_naming_it()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM example.invalid/no-such-base:1\nRUN true\n", TestContext.Current.CancellationToken);
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--context", context.Path, "--session-id", session]);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("example.invalid/no-such-base:1 is neither on the host engine nor buildable", run.Output, StringComparison.Ordinal);
        // Issue 15 item 1: it fails at SeedImages, before any build, with where it was looked for and how to provide it.
        Assert.Contains("The image example.invalid/no-such-base:1 is nowhere the session's daemon can get it from", run.Output, StringComparison.Ordinal);
        Assert.Contains("--seed-archive", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, line => line.Contains("build │", StringComparison.Ordinal));
        await AssertCleanAsync(session);
    }

    [Theory]
    [InlineData("--context", "/nonexistent/dindbuild-context", "does not exist")]
    [InlineData("--dockerfile", "Dockerfile.missing", "Dockerfile.missing does not exist")]
    public async Task A_missing_context_or_Dockerfile_is_a_parameter_error(string parameter, string value, string message)
    {
        engine.RequireEngine();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", parameter, value, "--session-id", session]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
        await AssertCleanAsync(session);
    }

    [Fact]
    public async Task A_test_command_that_does_not_exist_fails_the_tests_with_the_shells_word()
    {
        engine.RequireEngine();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--test-command", "no-such-test-runner --all", "--session-id", session]);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("exited with code 127", run.Output, StringComparison.Ordinal);
        Assert.Contains("no-such-test-runner: not found", run.Output, StringComparison.Ordinal);
        await AssertCleanAsync(session);
    }

    [Fact]
    public async Task An_artifacts_directory_that_cannot_be_written_fails_before_any_daemon_starts()
    {
        engine.RequireEngine();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--artifacts-dir", "/proc/dindbuild-artifacts", "--session-id", session]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("The artifacts directory /proc/dindbuild-artifacts is not writable", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Started DinD container", run.Output, StringComparison.Ordinal);
        await AssertCleanAsync(session);
    }

    private static async Task AssertCleanAsync(string session)
    {
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), $"dindbuild-{session}")));
        Assert.False(File.Exists(Path.Combine(RepositoryRoot.Path, ".dindbuild", "sessions", session + ".json")));
    }
}
