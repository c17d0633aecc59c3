using DindBuild.Diagnostics;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.Dind;

/// <summary>
/// Starts the session's daemon on a cache volume, one daemon at a time: two daemons on one data
/// root corrupt it (the second dies on the locked boltdb). "In use" is a running container that
/// mounts the volume, which every run against the engine sees; the engine-kept
/// <see cref="CacheVolumeLock"/> makes check-and-start atomic between runs starting at the same moment.
/// </summary>
internal sealed class CacheVolumeStart(IDockerEngine host, ILogger log)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// <paramref name="startOn"/> creates and starts the DinD container on a data root; the cache when
    /// it is free within <see cref="DindOptions.CacheWait"/>, else (as <see cref="DindOptions.CacheFallbackToEphemeral"/>
    /// says) the data root <paramref name="ephemeral"/> makes, or an error.
    /// </summary>
    public async Task<DindDaemon> StartAsync(string cache, string image, DindOptions options, Func<string, Task<DindDaemon>> startOn, Func<Task<string>> ephemeral, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.CacheWait;
        var announced = false;
        while (true)
        {
            string busy;
            var (held, holder) = await CacheVolumeLock.TryAcquireAsync(host, cache, image, log, cancellationToken).ConfigureAwait(false);
            if (held is null)
            {
                busy = $"another run is starting a daemon on it: {holder}";
            }
            else
            {
                // Released once the daemon's container runs (or failed to): from then on that container is the exclusion.
                await using (held.ConfigureAwait(false))
                {
                    var users = await host.Containers.ListRunningUsingVolumeAsync(cache, cancellationToken).ConfigureAwait(false);
                    if (users.Count == 0)
                    {
                        await EnsureVolumeAsync(cache, cancellationToken).ConfigureAwait(false);
                        return await startOn(cache).ConfigureAwait(false);
                    }

                    busy = $"running containers mounting it: {string.Join(", ", users.Select(id => id[..Math.Min(12, id.Length)]))}";
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                if (options.CacheFallbackToEphemeral)
                {
                    log.Warning("The cache volume {Cache} is still in use after {Wait} ({Busy}); running on an ephemeral data root (no layer cache)", cache, options.CacheWait, busy);
                    return await startOn(await ephemeral().ConfigureAwait(false)).ConfigureAwait(false);
                }

                throw new DindBuildException(
                    FailureKind.Infrastructure,
                    $"The cache volume {cache} is in use by another daemon and was not released within {options.CacheWait}.",
                    busy,
                    "wait for that run to end, give this run another '--cache-volume', raise '--cache-wait', or pass '--cache-busy ephemeral'.");
            }

            if (!announced)
            {
                log.Information("The cache volume {Cache} is in use by another daemon ({Busy}); waiting up to {Wait}", cache, busy, options.CacheWait);
                announced = true;
            }

            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EnsureVolumeAsync(string cache, CancellationToken cancellationToken)
    {
        if (await host.Volumes.ExistsAsync(cache, cancellationToken).ConfigureAwait(false))
        {
            log.Information("Using the cache volume {Cache} as the daemon's data root", cache);
            return;
        }

        // Not session-labelled: the cache outlives every session's teardown.
        await host.Volumes.CreateAsync(cache, new Dictionary<string, string> { ["org.dindbuild.cache"] = cache }, cancellationToken).ConfigureAwait(false);
        log.Information("Created the cache volume {Cache}", cache);
    }
}
