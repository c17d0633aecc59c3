using System.Text.RegularExpressions;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Pipeline;
using DindBuild.Readiness;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Dind;

/// <summary>Starts a DinD daemon in a container on the host engine, and waits until its API answers.</summary>
public sealed partial class DindDaemonStarter(IDockerEngine host, ILogger log)
{
    private const int LogTailLines = 30;

    /// <summary>
    /// Creates the data volume, the private socket directory and the container, and starts it.
    /// Every resource is labelled first, so teardown finds it even if this method fails half-way.
    /// </summary>
    public async Task<DindDaemon> StartAsync(string sessionId, string image, PrivilegeProfile requested, CancellationToken cancellationToken)
    {
        var socketDirectory = Path.Combine(Path.GetTempPath(), $"dindbuild-{sessionId}");

        // 0700: whoever can reach this socket is root in the DinD daemon.
        if (OperatingSystem.IsWindows())
        {
            throw new DindBuildException(FailureKind.BadParameters, "The 'dind' mode needs a Linux Docker host.", null, "use '--docker-mode external' with a Linux engine.");
        }

        Directory.CreateDirectory(socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dataVolume = $"dindbuild-{sessionId}-data";
        await host.Volumes.CreateAsync(dataVolume, SessionLabels.For(sessionId, "dind-data"), cancellationToken).ConfigureAwait(false);

        var profile = requested == PrivilegeProfile.Auto ? PrivilegeProfile.Privileged : requested;
        try
        {
            var id = await CreateAndStartAsync(sessionId, image, profile, dataVolume, socketDirectory, cancellationToken).ConfigureAwait(false);
            return new DindDaemon(id, $"dindbuild-{sessionId}", image, profile, dataVolume, socketDirectory);
        }
        catch (DockerOperationException ex) when (requested == PrivilegeProfile.Auto)
        {
            log.Warning("The runtime refused a --privileged DinD container ({Reason}); falling back to the 'capabilities' profile", ex.EngineMessage);
            var id = await CreateAndStartAsync(sessionId, image, PrivilegeProfile.Capabilities, dataVolume, socketDirectory, cancellationToken).ConfigureAwait(false);
            return new DindDaemon(id, $"dindbuild-{sessionId}", image, PrivilegeProfile.Capabilities, dataVolume, socketDirectory);
        }
    }

    /// <summary>
    /// Waits for the daemon's socket and <c>/_ping</c>; stops at once, with the daemon's log, when the
    /// container exits. Returns a client for the ready daemon.
    /// </summary>
    public async Task<IDockerEngine> WaitUntilReadyAsync(DindDaemon daemon, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var inner = DockerEngine.Connect(daemon.Endpoint);
        var outcome = await ReadinessWaiter.WaitAsync(
            [
                new ContainerKeepsRunning(host.Containers, daemon.ContainerId),
                new SocketFileExists(daemon.Endpoint.UnixSocketPath!),
                new EngineAnswersPing(inner),
            ],
            timeout,
            cancellationToken).ConfigureAwait(false);
        if (outcome.Ready)
        {
            log.Information("DinD daemon ready after {Milliseconds:0} ms at {Endpoint}", outcome.Elapsed.TotalMilliseconds, daemon.Endpoint);
            return inner;
        }

        inner.Dispose();
        var logs = await DaemonLogTailAsync(daemon.ContainerId, cancellationToken).ConfigureAwait(false);
        throw new DindBuildException(
            FailureKind.Infrastructure,
            $"The DinD daemon in {daemon.ContainerName} ({daemon.Image}, profile '{daemon.Profile.ToString().ToLowerInvariant()}') did not become ready: waiting for {outcome.FailedCondition?.Description}: {outcome.Detail}.",
            $"daemon log (docker logs --tail {LogTailLines} {daemon.ContainerName}):\n{logs}",
            "if the log shows a permission error, try '--privilege privileged' or run on a host that allows it; if the daemon was merely slow, raise '--daemon-timeout'.");
    }

    public async Task<string> DaemonLogTailAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            var text = await host.Containers.GetLogTailAsync(containerId, LogTailLines, cancellationToken).ConfigureAwait(false);
            return string.IsNullOrWhiteSpace(text) ? "(the daemon printed nothing)" : text.TrimEnd();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"(could not read the daemon's log: {ex.Message})";
        }
    }

    private async Task<string> CreateAndStartAsync(string sessionId, string image, PrivilegeProfile profile, string dataVolume, string socketDirectory, CancellationToken cancellationToken)
    {
        var spec = DindContainerSpecs.For(sessionId, image, profile, dataVolume, socketDirectory);
        var id = await CreateAsync(spec, cancellationToken).ConfigureAwait(false);
        try
        {
            using (var script = EntrypointScript.AsTar())
            {
                await host.Containers.PutArchiveAsync(id, "/", script, cancellationToken).ConfigureAwait(false);
            }

            await host.Containers.StartAsync(id, cancellationToken).ConfigureAwait(false);
            log.Information("Started DinD container {Name} ({Image}, profile '{Profile}')", spec.Name, image, profile.ToString().ToLowerInvariant());
            return id;
        }
        catch (DockerOperationException)
        {
            // The same name is reused by the fallback profile; this attempt must be gone first.
            await host.Containers.RemoveAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The kernel may grant capabilities an older engine has no name for (Docker 20.10 does not know
    /// PERFMON, BPF or CHECKPOINT_RESTORE); those are dropped one by one, as the engine names them.
    /// </summary>
    private async Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await host.Containers.CreateAsync(spec, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerOperationException ex) when (UnknownCapability().Match(ex.EngineMessage) is { Success: true } match
                && spec.CapabilitiesToAdd.Contains(match.Groups["name"].Value))
            {
                var name = match.Groups["name"].Value;
                log.Debug("The host engine does not know the capability {Capability}; leaving it out", name);
                spec = spec with { CapabilitiesToAdd = spec.CapabilitiesToAdd.Remove(name) };
            }
        }
    }

    [GeneratedRegex(@"unknown capability: ""?(?:CAP_)?(?<name>[A-Z_]+)""?")]
    private static partial Regex UnknownCapability();
}
