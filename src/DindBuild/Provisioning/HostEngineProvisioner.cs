using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Readiness;
using Serilog;

namespace DindBuild.Provisioning;

/// <summary>
/// Makes sure a Docker engine answers on the build host. When none does and this process may
/// install one (root, apt), it installs Debian's <c>docker.io</c> and starts <c>dockerd</c> in the
/// background, logging to <see cref="DaemonLogPath"/>.
/// </summary>
internal sealed class HostEngineProvisioner(ILogger log)
{
    public const string DaemonLogPath = "/var/log/dindbuild/dockerd.log";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Returns <paramref name="endpoint"/> once it answers; only the default socket is ever provisioned.</summary>
    public async Task<DockerEndpoint> EnsureAsync(DockerEndpoint endpoint, CancellationToken cancellationToken)
    {
        var tried = new List<string>();
        var first = await EnginePing.TryAsync(endpoint, cancellationToken).ConfigureAwait(false);
        if (first is null)
        {
            return endpoint;
        }

        tried.Add($"{endpoint}: {first}");
        if (endpoint != DockerEndpoint.DefaultUnixSocket)
        {
            // Another engine was named (DOCKER_HOST, --docker-socket): starting our own would silently use the wrong one.
            throw NoEngine(tried, $"start the engine at {endpoint}, or point DOCKER_HOST / '--docker-socket' at one that runs; with neither set, DindBuild provisions a local engine itself.");
        }

        if (first.Contains("Permission denied", StringComparison.OrdinalIgnoreCase))
        {
            throw NoEngine(tried, $"this user may not use {endpoint}: add it to the 'docker' group ('sudo usermod -aG docker $USER', then log in again) or run the build as root.");
        }

        if (!AptPackages.CanInstall)
        {
            throw NoEngine(tried, "install Docker (Debian: 'apt-get install docker.io'), start dockerd, or run the build as root so DindBuild can do both.");
        }

        if (CommandRunner.FindOnPath("dockerd") is null)
        {
            await new AptPackages(log).EnsureInstalledAsync(["docker.io"], "A host Docker engine", cancellationToken).ConfigureAwait(false);
        }

        var dockerd = CommandRunner.FindOnPath("dockerd") ?? throw NoEngine([.. tried, "dockerd: not found after installing docker.io"], "install Docker by hand and start it.");
        var processId = await StartDaemonAsync(dockerd, cancellationToken).ConfigureAwait(false);
        using var engine = DockerEngine.Connect(endpoint);
        var outcome = await ReadinessWaiter.WaitAsync(
            [new ProcessKeepsRunning(processId, "dockerd"), new SocketFileExists(DockerEndpoint.DefaultUnixSocketPath), new EngineAnswersPing(engine)],
            StartTimeout,
            cancellationToken).ConfigureAwait(false);
        if (!outcome.Ready)
        {
            throw new DindBuildException(
                FailureKind.Infrastructure,
                $"The host Docker engine started by DindBuild (pid {processId}) did not become ready: waiting for {outcome.FailedCondition?.Description}: {outcome.Detail}.",
                "dockerd log tail (" + DaemonLogPath + "):\n" + TextTail.FileTail(DaemonLogPath, 30),
                "read the full log at " + DaemonLogPath + "; a stale /var/run/docker.pid or a second dockerd is the usual cause.");
        }

        var version = await engine.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        log.Information("Started the host engine in {Elapsed:0.0} s: {Version}, log in {Log}", outcome.Elapsed.TotalSeconds, version, DaemonLogPath);
        return endpoint;
    }

    private async Task<int> StartDaemonAsync(string dockerd, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DaemonLogPath)!);
        log.Information("No engine answers at {Socket}: starting {Dockerd} in the background (log: {Log})", DockerEndpoint.DefaultUnixSocketPath, dockerd, DaemonLogPath);

        // setsid puts dockerd in a session of its own, so Ctrl+C on this build does not stop the host engine;
        // the shell prints the daemon's pid and exits at once, leaving dockerd to init.
        var result = await Cli.Wrap("setsid")
            .WithArguments(["sh", "-c", "\"$0\" >>\"$1\" 2>&1 </dev/null & echo $!", dockerd, DaemonLogPath])
            .ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
        return int.Parse(result.StandardOutput.Trim(), CultureInfo.InvariantCulture);
    }

    private static DindBuildException NoEngine(IReadOnlyList<string> tried, string howToFix) =>
        new(FailureKind.Infrastructure, "No Docker engine answers on this host.", "Endpoints tried:\n" + string.Join('\n', tried.Select(t => "- " + t)), howToFix);
}
