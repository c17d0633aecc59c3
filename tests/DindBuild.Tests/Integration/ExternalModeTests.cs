using System.Text.RegularExpressions;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>External mode with a local engine also answering: resources live, and are removed, on the external daemon only.</summary>
[Collection(EngineCollection.Isolated)]
public sealed partial class ExternalModeTests(EngineFixture engine)
{
    [Fact]
    public async Task Teardown_removes_what_the_run_created_on_the_external_daemon_and_nothing_on_the_local_engine()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        var (externalHost, service) = await ExternalDaemon.StartAsync(harness);
        var external = new Dictionary<string, string?> { ["DOCKER_HOST"] = externalHost };
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        // The base image comes from the local engine, which answers too: the case that tore down the wrong engine.
        var run = await BuildScript.RunAsync(["DindTest", "--docker-mode", "external", "--session-id", session, "--artifacts-dir", artifacts.Path], environment: external);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(run.Lines, line => line.Contains("Seeded dindbuild/python:trixie", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 26.", StringComparison.Ordinal));
        var removed = int.Parse(TeardownCount().Match(run.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(removed >= 2, $"teardown removed {removed} resources; the test container and the artifacts volume were the run's:\n{run.Output}");
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session, external));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        Assert.Equal("true", await DockerCli.OutputAsync(["inspect", "--format", "{{.State.Running}}", service]));

        // That daemon runs in a container of its own and cannot mount the socket policy's socket from this
        // machine's files: the tests ran without a Docker socket, and the log says how to opt in.
        Assert.Contains(run.Lines, line => line.Contains("the daemon cannot mount the socket policy's socket", StringComparison.Ordinal) && line.Contains("--socket-policy permissive", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(artifacts.Path, "docker-daemon.json")), "the tests reached a daemon without a socket");
    }

    [GeneratedRegex(@"Teardown removed (\d+) resource")]
    private static partial Regex TeardownCount();
}
