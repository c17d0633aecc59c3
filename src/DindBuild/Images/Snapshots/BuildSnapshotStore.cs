using System.Diagnostics;
using System.Globalization;
using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Images.Snapshots;

/// <summary>
/// Build snapshots (issue 17: the .NET sample built in 17 s every dind run, against a warm host cache for dood): a run
/// whose build took <see cref="WorthSaving"/> or more copies its daemon's data root at teardown — base images, BuildKit's
/// cache, the built image; never a container, volume or network — into a volume of its own, and the next run of the
/// project (<see cref="BuildSnapshotKey"/>) copies the newest one in instead of the seed snapshot, as the entry script
/// copies a seed snapshot: the daemon still starts alone on its own copy, so no two daemons share a writable data root.
/// <para>
/// The volume is made by the engine with the session's DinD container (<see cref="MountSpec.VolumeLabels"/>), mounted at
/// <see cref="OutputMount"/>, and written once, by that container's save (<c>--dindbuild-save-snapshot</c> in the entry
/// script), marker last. A run that does not save removes it at teardown; one killed leaves it half-made, which Reap's
/// <see cref="SeedSnapshotPruner"/> removes like a half-made seed snapshot (same cache label, no marker naming it).
/// After a save the older snapshots of the key go, and all but the <see cref="Keep"/> newest of any key.
/// </para>
/// </summary>
internal sealed class BuildSnapshotStore(IDockerEngine host, ILogger log)
{
    /// <summary>The value of <see cref="SeedSnapshotStore.CacheLabel"/> on a build snapshot.</summary>
    public const string CacheKind = "build-snapshot";

    public const string KeyLabel = "org.dindbuild.build-key";

    /// <summary>The session whose DinD container fills the volume: while that container exists, the volume is not one to start from.</summary>
    public const string MakerLabel = "org.dindbuild.build-snapshot-of";

    /// <summary>Where the session's DinD container mounts its output volume.</summary>
    public const string OutputMount = "/dindbuild-snapshot-out";

    /// <summary>Snapshots kept over all projects: each is a whole data root (the .NET sample's: 1.2 GB).</summary>
    public const int Keep = 2;

    /// <summary>
    /// BuildKit's cache in a daemon that may save a build snapshot is collected down to this (or <c>--cache-max-size</c>
    /// when smaller): otherwise each generation would carry every earlier one's layers, in memory with a tmpfs data root.
    /// </summary>
    public const long MaxCacheBytes = 2L << 30;

    /// <summary>
    /// A build under this is cheaper to run again than a snapshot is to save (the .NET sample's 1.2 GB data root:
    /// about 3 s, measured here); the calculator's cold build (0.4 s) never saves.
    /// </summary>
    public static readonly TimeSpan WorthSaving = TimeSpan.FromSeconds(5);

    /// <summary>The copy of a few GB into a volume on disk; a save that takes longer is given up, and the run still ends.</summary>
    public static readonly TimeSpan SaveTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The labels the engine gives the output volume when it creates it with the container.</summary>
    public static IReadOnlyDictionary<string, string> Labels(BuildSnapshotKey key, string sessionId) => new Dictionary<string, string>
    {
        [SeedSnapshotStore.CacheLabel] = CacheKind,
        [KeyLabel] = key.Hash,
        [MakerLabel] = sessionId,
        [SeedSnapshotStore.DindImageLabel] = key.Seed.DindImageId,
        [SessionLabels.Created] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The newest snapshot of <paramref name="key"/> whose maker's container is gone (one that still has it is being
    /// filled, or was killed and not yet reaped); null for none. Whether it is complete is checked by the starter, on
    /// the marker, as for a seed snapshot.
    /// </summary>
    public async Task<string?> FindAsync(BuildSnapshotKey key, CancellationToken cancellationToken)
    {
        var snapshots = await host.Volumes.ListWithLabelAsync(KeyLabel, cancellationToken).ConfigureAwait(false);
        foreach (var snapshot in Newest(snapshots.Where(volume => volume.Labels.GetValueOrDefault(KeyLabel) == key.Hash)))
        {
            if (snapshot.Labels.GetValueOrDefault(MakerLabel) is { } maker
                && await host.Containers.InspectAsync(SessionNames.DindContainer(maker), cancellationToken).ConfigureAwait(false) is not null)
            {
                continue;
            }

            log.Information("Using the build snapshot {Volume}: the data root a run of this project left after its build (its base images, build cache and image)", snapshot.Id);
            return snapshot.Id;
        }

        return null;
    }

    /// <summary>Whether builds that took <paramref name="built"/> in all are worth a snapshot (<see cref="WorthSaving"/>).</summary>
    public static bool ShouldSave(TimeSpan built, ILogger log)
    {
        if (built >= WorthSaving)
        {
            return true;
        }

        log.Debug("No build snapshot: the builds took {Seconds:0.0} s, under {Worth} s", built.TotalSeconds, WorthSaving.TotalSeconds);
        return false;
    }

    /// <summary>
    /// Runs the save in the session's DinD container; true when the marker is written. Never throws: a save that fails
    /// is a warning, the volume is removed by <see cref="FinishAsync"/>, and teardown goes on.
    /// </summary>
    public async Task<bool> SaveAsync(DindDaemon daemon, string marker)
    {
        var clock = Stopwatch.StartNew();
        var said = new List<string>();
        using var timeout = new CancellationTokenSource(SaveTimeout);
        try
        {
            log.Information("Saving the daemon's data root into the build snapshot {Volume}: the next run of this project starts from it", daemon.BuildSnapshotVolume);
            var exit = await host.Containers.ExecAsync(
                daemon.ContainerId,
                ["/bin/sh", DindContainerSpecs.EntrypointPath, "--dindbuild-save-snapshot", OutputMount, marker],
                (line, _) =>
                {
                    // The container's words: escaped, and only the last few kept.
                    said.Add(SafeText.Escape(line));
                    if (said.Count > 20)
                    {
                        said.RemoveAt(0);
                    }
                },
                timeout.Token).ConfigureAwait(false);
            if (exit == 0)
            {
                log.Information("Saved the build snapshot {Volume} in {Seconds:0.0} s ({Said})", daemon.BuildSnapshotVolume, clock.Elapsed.TotalSeconds, said.LastOrDefault() ?? "");
                return true;
            }

            log.Warning("Could not save the build snapshot {Volume} (the save exited {Exit}: {Said}); the next run builds without it", daemon.BuildSnapshotVolume, exit, string.Join(" | ", said));
        }
        catch (Exception ex)
        {
            log.Warning("Could not save the build snapshot {Volume} ({Reason}); the next run builds without it", daemon.BuildSnapshotVolume, ex.GetBaseException().Message);
        }

        return false;
    }

    /// <summary>
    /// After the DinD container is gone: an unsaved output volume goes; a saved one stays, and the older snapshots of its
    /// key go, then all but the <see cref="Keep"/> newest. The engine refuses to remove a volume a container still
    /// mounts (a run copying from it), which then stays for the next save. Never throws.
    /// </summary>
    public async Task FinishAsync(string volume, bool saved)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            if (!saved)
            {
                await host.Volumes.RemoveAsync(volume, timeout.Token).ConfigureAwait(false);
                return;
            }

            var snapshots = (await host.Volumes.ListWithLabelAsync(KeyLabel, timeout.Token).ConfigureAwait(false))
                .Where(snapshot => snapshot.Labels.GetValueOrDefault(SeedSnapshotStore.CacheLabel) == CacheKind)
                .ToList();
            foreach (var stale in Stale(snapshots, volume))
            {
                try
                {
                    await host.Volumes.RemoveAsync(stale, timeout.Token).ConfigureAwait(false);
                    log.Information("Removed the older build snapshot {Volume}", stale);
                }
                catch (DockerOperationException ex)
                {
                    log.Debug("Kept the older build snapshot {Volume}: {Reason}", stale, ex.EngineMessage);
                }
            }
        }
        catch (Exception ex)
        {
            log.Warning("Could not {What} ({Reason}); Reap removes what is left: ./build.sh Reap", saved ? "remove older build snapshots" : $"remove the unused build snapshot volume {volume}", ex.GetBaseException().Message);
        }
    }

    /// <summary>
    /// The build snapshots to remove once <paramref name="current"/> is saved: every other one of its key (its runs
    /// start from the newest only), and all but the <see cref="Keep"/> newest over all keys; never <paramref name="current"/>.
    /// </summary>
    public static IReadOnlyList<string> Stale(IReadOnlyList<LabelledResource> snapshots, string current)
    {
        var key = snapshots.FirstOrDefault(snapshot => snapshot.Id == current)?.Labels.GetValueOrDefault(KeyLabel);
        var kept = Newest(snapshots.Where(snapshot => snapshot.Id == current || snapshot.Labels.GetValueOrDefault(KeyLabel) != key))
            .OrderByDescending(snapshot => snapshot.Id == current)
            .Take(Keep)
            .Select(snapshot => snapshot.Id)
            .ToHashSet(StringComparer.Ordinal);
        return [.. snapshots.Select(snapshot => snapshot.Id).Where(id => !kept.Contains(id))];
    }

    private static IEnumerable<LabelledResource> Newest(IEnumerable<LabelledResource> snapshots) => snapshots
        .OrderByDescending(snapshot => long.TryParse(snapshot.Labels.GetValueOrDefault(SessionLabels.Created), CultureInfo.InvariantCulture, out var seconds) ? seconds : 0)
        .ThenBy(snapshot => snapshot.Id, StringComparer.Ordinal);
}
