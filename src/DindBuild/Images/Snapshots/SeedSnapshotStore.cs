using System.Formats.Tar;
using System.Globalization;
using DindBuild.Artifacts;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Images.Snapshots;

/// <summary>
/// Seed snapshots on the host engine: one volume per <see cref="SeedSnapshotKey"/>, holding a stopped dockerd's data
/// root with just those images, which each session's entry script copies into its own data root before its dockerd
/// starts — so SeedImages finds the images there, instead of streaming them through <c>docker save | docker load</c>.
/// A snapshot is cache, not a session's resource: labelled <c>org.dindbuild.cache=seed-snapshot</c>, never with a
/// session, so teardown and the reaper leave it; the <see cref="Keep"/> newest stay, older ones go when a new one is made.
/// Made under the engine-kept <see cref="CacheVolumeLock"/> of its name, so two runs never make one twice; complete
/// only once its marker file (written last) names it, which the session's container checks before it starts.
/// </summary>
internal sealed class SeedSnapshotStore(IDockerEngine host, Func<DockerEndpoint, IDockerEngine> connect, ILogger log)
{
    public const string CacheLabel = "org.dindbuild.cache";

    public const string CacheKind = "seed-snapshot";

    public const string KeyLabel = "org.dindbuild.seed-key";

    /// <summary>The DinD image ID the snapshot was made for: Reap looks into the volume through a container of it.</summary>
    public const string DindImageLabel = "org.dindbuild.seed-dind-image";

    /// <summary>In the volume's root, beside <c>docker/</c>: the volume's name, then the key's description.</summary>
    public const string MarkerFile = "complete";

    /// <summary>Snapshots kept: a few sets of base images (branches, the samples) without growing without bound.</summary>
    public const int Keep = 3;

    /// <summary>How long to wait for another run making the same snapshot; it takes seconds.</summary>
    public static readonly TimeSpan MakeWait = TimeSpan.FromMinutes(3);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The snapshot volume of the request's images (those on the host engine), made now when there is none;
    /// null when there is nothing to snapshot or making one failed (said as a warning: SeedImages copies instead).
    /// </summary>
    public async Task<string?> EnsureAsync(SeedSnapshotRequest request, CancellationToken cancellationToken)
    {
        var key = await KeyAsync(host, request, cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            return null;
        }

        var volume = key.VolumeName;
        var deadline = DateTime.UtcNow + MakeWait;
        var announced = false;
        while (true)
        {
            // The common case, two inspects: made earlier, and nobody is making it now.
            if (await host.Volumes.ExistsAsync(volume, cancellationToken).ConfigureAwait(false)
                && await host.Containers.InspectAsync(CacheVolumeLock.ContainerName(volume), cancellationToken).ConfigureAwait(false) is null)
            {
                log.Information("Using the seed snapshot {Volume} ({Images})", volume, Names(key));
                return volume;
            }

            var (held, holder) = await CacheVolumeLock.TryAcquireAsync(host, volume, request.DindImage, log, cancellationToken).ConfigureAwait(false);
            if (held is null)
            {
                if (DateTime.UtcNow >= deadline)
                {
                    log.Warning("Another run is still making the seed snapshot {Volume} after {Wait} ({Holder}); seeding copies the images instead", volume, MakeWait, holder);
                    return null;
                }

                if (!announced)
                {
                    log.Information("Another run is making the seed snapshot {Volume} ({Holder}); waiting for it", volume, holder);
                    announced = true;
                }

                await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await using (held.ConfigureAwait(false))
            {
                if (await host.Volumes.ExistsAsync(volume, cancellationToken).ConfigureAwait(false))
                {
                    log.Information("Using the seed snapshot {Volume} ({Images}), made while this run waited", volume, Names(key));
                    return volume;
                }

                try
                {
                    await new SeedSnapshotMaker(host, connect, log).MakeAsync(key, request, Labels(key), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.Warning("Could not make the seed snapshot {Volume} ({Reason}); seeding copies the images instead", volume, ex.GetBaseException().Message);
                    return null;
                }

                await PruneAsync(volume, cancellationToken).ConfigureAwait(false);
                return volume;
            }
        }
    }

    /// <summary>Whether the created (not yet started) container <paramref name="containerId"/> sees a complete <paramref name="volume"/> at its snapshot mount.</summary>
    public static async Task<bool> IsCompleteAsync(IDockerEngine host, string containerId, string volume, ILogger log, CancellationToken cancellationToken)
    {
        var marker = await ReadMarkerAsync(host, containerId, cancellationToken).ConfigureAwait(false);
        if (Names(marker, volume))
        {
            return true;
        }

        log.Warning("The seed snapshot {Volume} is not complete (no marker naming it: made by a run that was killed, or removed meanwhile); starting without it", volume);
        return false;
    }

    /// <summary>Whether a marker file's text says its volume is <paramref name="volume"/> (its first line): a copied or renamed volume is not complete.</summary>
    internal static bool Names(string? marker, string volume) => marker is not null && marker.StartsWith(volume + "\n", StringComparison.Ordinal);

    /// <summary>Removes a snapshot volume found incomplete, unless another container still holds it; never throws.</summary>
    public static async Task RemoveIncompleteAsync(IDockerEngine host, string volume, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            await host.Volumes.RemoveAsync(volume, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.Debug("Could not remove the incomplete seed snapshot {Volume}: {Reason}", volume, ex.Message);
        }
    }

    /// <summary>The labels of a snapshot volume: cache (not a session's), its key, when it was made.</summary>
    public static IReadOnlyDictionary<string, string> Labels(SeedSnapshotKey key) => new Dictionary<string, string>
    {
        [CacheLabel] = CacheKind,
        [KeyLabel] = key.VolumeName[SeedSnapshotKey.VolumePrefix.Length..],
        [DindImageLabel] = key.DindImageId,
        [SessionLabels.Created] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The snapshot volumes to remove: all but the <see cref="Keep"/> newest, never <paramref name="current"/>.</summary>
    public static IReadOnlyList<string> Stale(IReadOnlyList<LabelledResource> snapshots, string current) =>
    [
        .. snapshots
            .Where(volume => volume.Labels.GetValueOrDefault(CacheLabel) == CacheKind)
            .OrderByDescending(volume => volume.Id == current)
            .ThenByDescending(volume => long.TryParse(volume.Labels.GetValueOrDefault(SessionLabels.Created), CultureInfo.InvariantCulture, out var seconds) ? seconds : 0)
            .ThenBy(volume => volume.Id, StringComparer.Ordinal)
            .Skip(Keep)
            .Select(volume => volume.Id),
    ];

    /// <summary>The key of the request's images that are on the host engine; null when none is, or the DinD image is not there.</summary>
    internal static async Task<SeedSnapshotKey?> KeyAsync(IDockerEngine host, SeedSnapshotRequest request, CancellationToken cancellationToken)
    {
        var present = new List<(string Name, string Id)>();
        foreach (var image in request.Images)
        {
            // Not on the host: SeedImages says where it looked, or pulls it.
            if (await host.Images.InspectAsync(image, cancellationToken).ConfigureAwait(false) is { } found)
            {
                present.Add((image, found.Id));
            }
        }

        if (present.Count == 0)
        {
            return null;
        }

        var dind = await host.Images.InspectAsync(request.DindImage, cancellationToken).ConfigureAwait(false);
        return dind is null ? null : new SeedSnapshotKey(present, dind.Id, SeedSnapshotKey.StorageArgumentsOf(request.DaemonArguments, request.InnerUserns));
    }

    /// <summary>Old snapshots go when a new one is made. One that a container still mounts is refused by the engine, and stays.</summary>
    private async Task PruneAsync(string current, CancellationToken cancellationToken)
    {
        try
        {
            var snapshots = await host.Volumes.ListWithLabelAsync(CacheLabel, cancellationToken).ConfigureAwait(false);
            foreach (var stale in Stale(snapshots, current))
            {
                try
                {
                    await host.Volumes.RemoveAsync(stale, cancellationToken).ConfigureAwait(false);
                    log.Information("Removed the old seed snapshot {Volume} (the {Keep} newest are kept)", stale, Keep);
                }
                catch (DockerOperationException ex)
                {
                    log.Debug("Kept the old seed snapshot {Volume}: {Reason}", stale, ex.EngineMessage);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.Warning("Could not remove old seed snapshots ({Reason}); remove them with: docker volume rm $(docker volume ls -q --filter label={Label}={Kind})", ex.Message, CacheLabel, CacheKind);
        }
    }

    internal static async Task<string?> ReadMarkerAsync(IDockerEngine host, string containerId, CancellationToken cancellationToken)
    {
        await using var archive = await host.Containers.GetArchiveAsync(containerId, $"{DindContainerSpecs.SeedSnapshotMount}/{MarkerFile}", cancellationToken).ConfigureAwait(false);
        if (archive is null)
        {
            return null;
        }

        await using var safe = new ZeroLengthReadSafeStream(archive, leaveOpen: true);
        await using var reader = new TarReader(safe);
        if (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is not { DataStream: { } data, Length: < 1 << 20 })
        {
            return null;
        }

        using var text = new StreamReader(data);
        return await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Names(SeedSnapshotKey key) => string.Join(", ", key.Images.Select(image => image.Name));
}
