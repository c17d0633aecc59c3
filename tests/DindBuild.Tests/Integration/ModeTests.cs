using System.Text.Json;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>The dood and external modes, and targets run as separate CI steps, through ./build.sh.</summary>
[Collection(EngineCollection.Name)]
public sealed class ModeTests(EngineFixture engine)
{
    [Fact]
    public async Task Dood_runs_the_same_targets_on_the_host_daemon_without_starting_one()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--artifacts-dir", artifacts.Path, "--session-id", session]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(0, JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml")).Failures);
        Assert.DoesNotContain(run.Lines, line => line.Contains("Started DinD container", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("root on this host", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 20.10", StringComparison.Ordinal));

        // The tests inside reached the host's own daemon through the mounted socket.
        var hostId = await DockerCli.OutputAsync(["info", "--format", "{{.ID}}"]);
        Assert.Equal(hostId, SeenDaemonId(artifacts.Path));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task Dind_tests_see_the_private_daemon_not_the_host()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();

        var run = await BuildScript.RunAsync(["DindTest", "--artifacts-dir", artifacts.Path]);

        Assert.True(run.ExitCode == 0, run.Output);
        var seen = SeenDaemonId(artifacts.Path);
        Assert.NotEqual(await DockerCli.OutputAsync(["info", "--format", "{{.ID}}"]), seen);
        Assert.Contains(run.Lines, line => line.Contains("Session daemon (dind)", StringComparison.Ordinal) && line.Contains($"ID {seen}", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 26.", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("Built dindbuild-sample:latest", StringComparison.Ordinal) && line.Contains("with BuildKit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_target_can_run_as_its_own_CI_step_on_a_saved_session()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        var state = Path.Combine(RepositoryRoot.Path, ".dindbuild", "sessions", session + ".json");
        try
        {
            var start = await BuildScript.RunAsync(["StartDaemon", "--session-id", session]);
            Assert.True(start.ExitCode == 0, start.Output);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(state));

            // The saved environment lets other tools use the daemon: the docker CLI here.
            var environment = File.ReadAllLines(Path.ChangeExtension(state, ".env")).Select(line => line.Split('=', 2)).ToDictionary(pair => pair[0], pair => (string?)pair[1]);
            Assert.StartsWith("tcp://127.0.0.1:", environment["DOCKER_HOST"], StringComparison.Ordinal);
            Assert.Equal("1", environment["DOCKER_TLS_VERIFY"]);
            Assert.StartsWith("26.", await DockerCli.OutputAsync(["version", "--format", "{{.Server.Version}}"], environment: environment), StringComparison.Ordinal);

            foreach (var step in new[] { "WaitForDaemon", "SeedImages", "BuildImage", "RunTests", "ExportArtifacts" })
            {
                var run = await BuildScript.RunAsync([step, "--exclusive", "--session-id", session, "--artifacts-dir", artifacts.Path]);
                Assert.True(run.ExitCode == 0, $"{step}:\n{run.Output}");
                Assert.NotEmpty(await DockerCli.LabelledResourcesAsync(session));
            }

            Assert.Equal(0, JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml")).Failures);

            var teardown = await BuildScript.RunAsync(["Teardown", "--session-id", session, "--artifacts-dir", artifacts.Path]);
            Assert.True(teardown.ExitCode == 0, teardown.Output);
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
            Assert.False(File.Exists(state));

            // The last step's report covers every step of the session, each run by its own process.
            var report = await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-report.md"), TestContext.Current.CancellationToken);
            Assert.All(
                new[] { "StartDaemon", "WaitForDaemon", "SeedImages", "BuildImage", "RunTests", "ExportArtifacts", "Teardown" },
                step => Assert.Contains($"| {step} |", report, StringComparison.Ordinal));
            Assert.Contains("10 passed, 0 failed", report, StringComparison.Ordinal);

            // It names this session and carries the facts earlier processes saw.
            Assert.Contains($"| Session | {session} |", report, StringComparison.Ordinal);
            Assert.Contains("| Daemon version | Docker 26.", report, StringComparison.Ordinal);
            Assert.Contains("| Image | dindbuild-sample:latest sha256:", report, StringComparison.Ordinal);
        }
        finally
        {
            if (File.Exists(state))
            {
                await BuildScript.RunAsync(["Teardown", "--session-id", session]);
            }
        }
    }

    [Fact]
    public async Task A_step_without_a_session_fails_saying_how_to_start_one()
    {
        var run = await BuildScript.RunAsync(["RunTests", "--exclusive", "--session-id", BuildScript.NewSessionId()]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("RunTests needs a session", run.Output, StringComparison.Ordinal);
        Assert.Contains("./build.sh StartDaemon", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task External_mode_with_no_engine_lists_every_endpoint_it_tried()
    {
        using var config = new TempDirectory();
        var run = await BuildScript.RunAsync(
            ["DindTest", "--docker-mode", "external", "--daemon-timeout", "2s"],
            environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = "tcp://127.0.0.1:9", ["DOCKER_CONFIG"] = config.Path, ["DOCKER_CONTEXT"] = null });

        Assert.Equal(5, run.ExitCode);
        Assert.Contains("No Docker engine answered within 2 s", run.Output, StringComparison.Ordinal);
        Assert.Contains("tcp://127.0.0.1:9 (from DOCKER_HOST)", run.Output, StringComparison.Ordinal);
        Assert.Contains("docker context: none selected", run.Output, StringComparison.Ordinal);
        Assert.Contains("How to fix", run.Output, StringComparison.Ordinal);
    }

    internal static string SeenDaemonId(string artifacts)
    {
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(artifacts, "docker-daemon.json")));
        return report.RootElement.GetProperty("ID").GetString()!;
    }
}
