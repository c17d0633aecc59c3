using System.Diagnostics;
using DindBuild.Docker;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Dind;

/// <summary>
/// The end of a daemon on the cache volume, before teardown removes its container. The session's own containers,
/// volumes and networks inside the daemon go first: they live in the cache volume's data root, and left there every
/// run would add its test container and artifacts volume — and keep the previous run's image, which that container
/// holds, from being removed. Then dockerd is stopped with SIGTERM (<c>docker stop</c>), so that it closes BuildKit's
/// and containerd's databases itself rather than being killed mid-write by the forced remove.
/// </summary>
internal sealed class CacheVolumeStop(IDockerEngine host, Func<DockerEndpoint, IDockerEngine> connect, ILogger log)
{
    /// <summary>dockerd stops in well under a second once nothing runs in it; a hung one is killed after this.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>Whether the daemon's data root is a cache volume: neither the session's ephemeral volume nor a tmpfs.</summary>
    public static bool IsOnCacheVolume(DindDaemon daemon, string sessionId) =>
        daemon.ContainerId.Length > 0 && daemon.DataVolume != DindContainerSpecs.InMemoryDataRoot && daemon.DataVolume != SessionNames.DataVolume(sessionId);

    /// <summary>Never throws: what fails here is said as a warning, and the forced remove that follows still runs.</summary>
    public async Task StopAsync(string sessionId, DindDaemon daemon)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var inner = connect(daemon.SocketEndpoint);
            var removed = await new SessionTeardown(inner, log).TeardownAsync(sessionId, socketDirectory: null).ConfigureAwait(false);
            log.Debug("Removed {Count} resource(s) of session {Session} inside the daemon on the cache volume {Cache}", removed, sessionId, daemon.DataVolume);
        }
        catch (Exception ex)
        {
            log.Warning("Could not remove the session's containers and volumes inside the daemon on the cache volume {Cache} ({Reason}); they stay in it until removed by hand", daemon.DataVolume, ex.GetBaseException().Message);
        }

        try
        {
            using var timeout = new CancellationTokenSource(Grace + TimeSpan.FromSeconds(20));
            await host.Containers.StopAsync(daemon.ContainerId, Grace, timeout.Token).ConfigureAwait(false);
            log.Information("Stopped the daemon on the cache volume {Cache} with SIGTERM in {Seconds:0.0} s: its build cache and images are closed cleanly for the next run", daemon.DataVolume, clock.Elapsed.TotalSeconds);
        }
        catch (Exception ex)
        {
            log.Warning("Could not stop the daemon on the cache volume {Cache} cleanly ({Reason}); it is removed by force, and the next daemon recovers its databases", daemon.DataVolume, ex.GetBaseException().Message);
        }
    }
}
