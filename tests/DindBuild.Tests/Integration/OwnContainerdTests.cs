using DindBuild.Dind;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Issue 17 (a faster daemon start): the entry script starts containerd itself and hands it to dockerd with
/// --containerd, so dockerd does not wait out gRPC's 1 s reconnect backoff on a containerd it has only just started.
/// Checked through the docker CLI: the processes in the DinD container, its log, and a container that runs inside.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class OwnContainerdTests(EngineFixture engine)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_daemon_runs_on_the_containerd_its_entry_script_started()
    {
        engine.RequireEngine();
        var settings = new DindSettings(RepositoryRoot.Path).WithSeedSnapshots(SeedSnapshotChoice.Off);
        await using var pipeline = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        await pipeline.StartDaemonAsync(Cancel);
        await pipeline.WaitForDaemonAsync(Cancel);
        var container = pipeline.State.Daemon!.ContainerId;

        var processes = await CommandLinesAsync(container);
        var dockerd = Assert.Single(processes, line => line.StartsWith("dockerd ", StringComparison.Ordinal));
        Assert.Contains("--containerd=/var/run/docker/containerd/containerd.sock", dockerd, StringComparison.Ordinal);
        Assert.Contains(processes, line => line.StartsWith("containerd --config /var/run/docker/containerd/dindbuild-containerd.toml", StringComparison.Ordinal));
        var log = (await DockerCli.RunAsync(["logs", container])).StandardError;
        Assert.Contains("dindbuild-entrypoint: containerd is up", log, StringComparison.Ordinal);
        Assert.DoesNotContain("starting managed containerd", log, StringComparison.Ordinal);

        // Inner containers start and stop on it (with the inner user namespace where this host gives one).
        await pipeline.SeedImagesAsync(Cancel);
        var run = await DockerCli.RunAsync(["run", "--rm", "dindbuild/python:trixie", "python3", "-c", "print('on our containerd')"], environment: DockerCli.EnvironmentFor(pipeline.State.Daemon.Endpoint));
        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("on our containerd", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_that_containerd_fails_dockerd_starts_its_own_and_says_why()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        var sockets = harness.PrivateDirectory("sockets");

        // A containerd that fails only as the entry script starts it: dockerd's own (its generated config) still runs.
        const string failing = "printf '#!/bin/sh\\ncase \"$*\" in *dindbuild-containerd.toml*) echo refused >&2; exit 1;; esac\\nexec /usr/bin/containerd \"$@\"\\n' > /usr/local/bin/containerd; chmod +x /usr/local/bin/containerd; exec /bin/sh /e.sh \"$@\"";
        var name = $"dindbuild-{harness.Id}-containerd";
        var started = await harness.RunAsync(name,
        [
            .. Harness.DindFlags, "-e", DindContainerSpecs.OwnContainerdVariable + "=1", "-v", $"{harness.EntrypointFile}:/e.sh:ro", "-v", $"{sockets}:/run/s",
            "--entrypoint", "/bin/sh", "dindbuild/dind:trixie", "-c", failing, "sh", "--host=unix:///run/s/docker.sock", "--tls=false",
        ]);
        Assert.True(started.ExitCode == 0, started.StandardError);
        var host = $"unix://{sockets}/docker.sock";
        await Harness.WaitUntilAsync(name, () => DockerCli.RunAsync(["version"], host), TimeSpan.FromSeconds(60));

        var log = (await DockerCli.RunAsync(["logs", name])).StandardError;
        Assert.Contains("refused", log, StringComparison.Ordinal);
        Assert.Contains("dindbuild-entrypoint: containerd did not start (its log is above); dockerd starts its own", log, StringComparison.Ordinal);
        Assert.Contains("starting managed containerd", log, StringComparison.Ordinal);
        var dockerd = Assert.Single(await CommandLinesAsync(name), line => line.StartsWith("dockerd ", StringComparison.Ordinal));
        Assert.DoesNotContain("--containerd", dockerd, StringComparison.Ordinal);
    }

    /// <summary>Every process's command line in the container, read from /proc (the image has no ps).</summary>
    private static async Task<IReadOnlyList<string>> CommandLinesAsync(string container)
    {
        var output = await DockerCli.OutputAsync(["exec", container, "sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done; true"]);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }
}
