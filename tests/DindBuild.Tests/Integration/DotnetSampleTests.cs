using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// samples/dotnet-app through ./build.sh as a .NET team runs it: a multi-stage Dockerfile FROM
/// mcr.microsoft.com/dotnet/sdk:10.0 (here DindBuild's offline stand-in, built on the first run and
/// reused), xunit tests writing JUnit and TRX, and a Testcontainers test that starts a helper
/// container. Reports are read from the exported files; leftovers are checked with the docker CLI.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class DotnetSampleTests(EngineFixture engine, DotnetCacheVolume cache)
{
    private const string Context = "samples/dotnet-app";

    /// <summary>The helper image its Testcontainers test starts is in no FROM line: --seed-image brings it (issue 15), no dummy stage.</summary>
    internal static readonly string[] SeedHelper = ["--seed-image", "dindbuild/python:trixie"];
    private const string DockerTest = "Pricing.Tests.HelperContainerTests.A_helper_container_runs_and_answers";
    private const string FailingTest = "Pricing.Tests.CartTests.Subtotal_adds_every_line";
    private const int TestCount = 10;

    [Fact]
    public async Task Dind_builds_the_dotnet_sample_offline_and_exports_both_reports()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", .. SeedHelper, "--context", Context, "--cache-volume", cache.Name, "--artifacts-dir", artifacts.Path, "--session-id", session]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 26.", StringComparison.Ordinal));
        var junit = JUnitReport.Load(artifacts.Combine("Pricing.Tests.junit.xml"));
        Assert.Equal((TestCount, 0, 0), (junit.Tests, junit.Failures, junit.Errors));
        var trx = TrxReport.Load(artifacts.Combine("Pricing.Tests.trx"));
        Assert.Equal((TestCount, TestCount, 0), (trx.Total, trx.Passed, trx.Failed));
        Assert.Equal("Passed", trx.Outcomes[DockerTest]);
        Assert.Matches("^[0-9a-f]{64}$", File.ReadAllText(artifacts.Combine("helper-container.txt")).Trim());

        // The restore in the build found every package in the image: no feed was asked (none is reachable).
        Assert.DoesNotContain(run.Lines, line => line.Contains("NU1301", StringComparison.Ordinal));
        AssertRestoredOrCached(run);
        await AssertTheBaseImageIsTheRealOneOrTheLabelledStandInAsync();
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task Dind_with_one_failing_test_exits_3_and_still_exports_the_reports()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", .. SeedHelper, "--context", Context, "--test-env", "SAMPLE_FAIL=1", "--cache-volume", cache.Name, "--artifacts-dir", artifacts.Path, "--session-id", session]);

        Assert.True(run.ExitCode == 3, run.Output);
        var junit = JUnitReport.Load(artifacts.Combine("Pricing.Tests.junit.xml"));
        Assert.Equal((TestCount, 1), (junit.Tests, junit.Failures));
        var trx = TrxReport.Load(artifacts.Combine("Pricing.Tests.trx"));
        Assert.Equal((TestCount, TestCount - 1, 1), (trx.Total, trx.Passed, trx.Failed));
        Assert.Equal("Failed", trx.Outcomes[FailingTest]);
        Assert.Equal("Passed", trx.Outcomes[DockerTest]);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task Dood_runs_the_same_tests_on_the_host_daemon_and_the_helper_container_is_gone()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var apiVersion = await DockerCli.TestcontainersApiArgumentsAsync();

        var run = await BuildScript.RunAsync(["DindTest", .. SeedHelper, "--docker-mode", "dood", "--context", Context, .. apiVersion, "--artifacts-dir", artifacts.Path, "--session-id", session]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 20.10", StringComparison.Ordinal));
        var junit = JUnitReport.Load(artifacts.Combine("Pricing.Tests.junit.xml"));
        Assert.Equal((TestCount, 0), (junit.Tests, junit.Failures));
        var trx = TrxReport.Load(artifacts.Combine("Pricing.Tests.trx"));
        Assert.Equal((TestCount, TestCount), (trx.Total, trx.Passed));
        Assert.Equal("Passed", trx.Outcomes[DockerTest]);

        // The helper container ran on the host engine itself; it is gone, and nothing of the session is left.
        var helper = File.ReadAllText(artifacts.Combine("helper-container.txt")).Trim();
        Assert.Matches("^[0-9a-f]{64}$", helper);
        Assert.NotEqual(0, (await DockerCli.RunAsync(["container", "inspect", helper])).ExitCode);
        Assert.Equal("", await DockerCli.OutputAsync(["ps", "-aq", "--filter", "label=org.example.sample=pricing-tests"]));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task External_mode_builds_the_dotnet_sample_with_BuildKit_on_a_daemon_started_by_someone_else()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var service = BuildScript.NewSessionId();
        var session = BuildScript.NewSessionId();
        var state = Path.Combine(RepositoryRoot.Path, ".dindbuild", "sessions", service);
        using var kept = await CheckoutSessions.HoldAsync();
        try
        {
            // The external daemon, as a CI service would provide it: a DinD daemon kept by a StartDaemon of its own, on the
            // shared cache volume (the SDK image and the restore layers stay there for the next run of this test process).
            // Without the inner user namespace, as docker:dind runs: the tests get its raw socket, which remapped root could not open.
            var started = await BuildScript.RunAsync(["StartDaemon", "--cache-volume", cache.Name, "--inner-userns", "off", "--session-id", service, "--artifacts-dir", artifacts.Combine("service")]);
            Assert.True(started.ExitCode == 0, started.Output);
            var saved = File.ReadAllLines(state + ".env").Select(line => line.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
            var external = new Dictionary<string, string?>
            {
                ["DOCKER_HOST"] = saved["DOCKER_HOST"],
                ["DOCKER_TLS_VERIFY"] = saved.GetValueOrDefault("DOCKER_TLS_VERIFY"),
                ["DOCKER_CERT_PATH"] = saved.GetValueOrDefault("DOCKER_CERT_PATH"),
            };

            // Over TCP the socket policy cannot be placed: the Testcontainers test gets the daemon's own socket.
            var run = await BuildScript.RunAsync(
                ["DindTest", "--docker-mode", "external", "--context", Context, "--socket-policy", "permissive", "--artifacts-dir", artifacts.Combine("run"), "--session-id", session, .. SeedHelper],
                environment: external);

            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 26.", StringComparison.Ordinal));
            var trx = TrxReport.Load(artifacts.Combine("run", "Pricing.Tests.trx"));
            Assert.Equal((TestCount, TestCount), (trx.Total, trx.Passed));
            Assert.Equal("Passed", trx.Outcomes[DockerTest]);
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session, external));
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }
        finally
        {
            await BuildScript.RunAsync(["Teardown", "--session-id", service, "--artifacts-dir", artifacts.Combine("service")]);
        }

        Assert.Empty(await DockerCli.LabelledResourcesAsync(service));
    }

    /// <summary>Where a real image could not be had, the host holds DindBuild's stand-in, which says so in its labels.</summary>
    private static async Task AssertTheBaseImageIsTheRealOneOrTheLabelledStandInAsync()
    {
        var labels = await DockerCli.OutputAsync(["image", "inspect", "--format", "{{json .Config.Labels}}", "mcr.microsoft.com/dotnet/sdk:10.0"]);
        if (labels.Contains("org.dindbuild.offline-stand-in", StringComparison.Ordinal))
        {
            Assert.Contains("\"org.dindbuild.offline-stand-in\":\"true\"", labels, StringComparison.Ordinal);
            Assert.Contains("not Microsoft's image", labels, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The restore step ran and restored the tests' project — or, on the shared cache volume after another .NET run of
    /// this process, BuildKit reported that step CACHED (its layer is that earlier restore's).
    /// </summary>
    private static void AssertRestoredOrCached(BuildScriptResult run)
    {
        var step = run.Lines.Select(line => System.Text.RegularExpressions.Regex.Match(line, @"build │ (#\d+) \[[^\]]*\] RUN dotnet restore")).FirstOrDefault(match => match.Success);
        Assert.True(step is not null, "no restore step in the build output:\n" + run.Output);
        var vertex = step!.Groups[1].Value;
        Assert.True(
            run.Lines.Any(line => line.Contains("build │", StringComparison.Ordinal) && line.Contains("Restored /src/tests/Pricing.Tests/Pricing.Tests.csproj", StringComparison.Ordinal))
            || run.Lines.Any(line => line.EndsWith($"build │ {vertex} CACHED", StringComparison.Ordinal)),
            $"the restore step ({vertex}) neither restored the tests' project nor was cached:\n" + run.Output);
    }
}
