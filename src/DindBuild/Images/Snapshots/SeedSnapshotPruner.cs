using System.Globalization;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Images.Snapshots;

/// <summary>What Reap knows of one seed snapshot volume when it decides; <see cref="Complete"/> is null when its marker could not be read.</summary>
internal sealed record SeedSnapshotFacts(string Volume, DateTimeOffset? Created, bool InUse, bool LockHeld, bool? Complete);

/// <summary>
/// Reap's part for seed snapshots: removes the half-made ones a killed run left (no <c>complete</c> marker naming the
/// volume), and the complete ones made longer ago than <c>--reap-older-than</c> (or all, <c>--prune-seed-snapshots</c>)
/// — never one that a running container mounts (a session copying from it, or running on its copy) or whose
/// <see cref="CacheVolumeLock"/> another run holds (making it, or about to mount it). Each is decided and removed under
/// that lock, taken by Reap itself, so no run starts making or using it meanwhile; the engine still refuses to remove a
/// volume any container references, which covers a container created in the meantime.
/// Build snapshots (<see cref="BuildSnapshotStore"/>) are judged the same way: one whose run was killed before its
/// save wrote the marker is half-made; the engine refuses to remove one a session's container still mounts.
/// With a memory directory, a snapshot found complete once is remembered (<see cref="CompleteSnapshots"/>) and, where
/// being complete is reason enough to keep it (every quick reap at StartDaemon), not checked again (issue 17: two
/// containers per snapshot, 0.2 s each, measured).
/// </summary>
internal sealed class SeedSnapshotPruner(IDockerEngine engine, ILogger log, string? memoryDirectory = null)
{
    /// <summary>Why Reap removes this snapshot, or null to keep it.</summary>
    public static string? WhyRemove(SeedSnapshotFacts snapshot, TimeSpan? olderThan, bool pruneAll, DateTimeOffset now)
    {
        if (snapshot.InUse || snapshot.LockHeld)
        {
            return null;
        }

        if (snapshot.Complete == false)
        {
            return "half-made (no complete marker): its maker was killed";
        }

        if (pruneAll)
        {
            return "no run is using it (--prune-seed-snapshots)";
        }

        // No creation label: not made by this code's maker, so its age is unknown; treated as old, like a cache lock.
        var age = snapshot.Created is { } created ? now - created : TimeSpan.MaxValue;
        return olderThan is { } limit && age > limit ? $"made longer ago than --reap-older-than {Settings.ParameterValues.Duration(limit)} and no run is using it" : null;
    }

    /// <summary>
    /// Removes the snapshots <see cref="WhyRemove"/> chooses; <paramref name="fallbackImages"/> (the DinD image setting, the
    /// DinD stand-in) are the images, first found first, of the never-started containers (lock, marker check) when the
    /// snapshot's own DinD image is gone or it predates that label. Returns how many went.
    /// </summary>
    public async Task<int> PruneAsync(TimeSpan? olderThan, bool pruneAll, IReadOnlyList<string> fallbackImages, CancellationToken cancellationToken)
    {
        var removed = new List<LabelledResource>();
        var snapshots = (await engine.Volumes.ListWithLabelAsync(SeedSnapshotStore.CacheLabel, cancellationToken).ConfigureAwait(false))
            .Where(volume => volume.Labels.GetValueOrDefault(SeedSnapshotStore.CacheLabel) is SeedSnapshotStore.CacheKind or BuildSnapshotStore.CacheKind)
            .ToList();
        var memory = memoryDirectory is null ? null : await CompleteSnapshots.ReadAsync(engine, memoryDirectory, log, cancellationToken).ConfigureAwait(false);
        foreach (var snapshot in snapshots)
        {
            // One snapshot the engine will not let us look at must not stop Reap, nor the others.
            try
            {
                if (await PruneOneAsync(snapshot, olderThan, pruneAll, fallbackImages, memory, cancellationToken).ConfigureAwait(false))
                {
                    removed.Add(snapshot);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.Warning("Could not check the seed snapshot {Volume} ({Reason}); it is kept", snapshot.Id, ex.GetBaseException().Message);
            }
        }

        memory?.Save([.. snapshots.Except(removed)]);
        return removed.Count;
    }

    private async Task<bool> PruneOneAsync(LabelledResource snapshot, TimeSpan? olderThan, bool pruneAll, IReadOnlyList<string> fallbackImages, CompleteSnapshots? memory, CancellationToken cancellationToken)
    {
        var volume = snapshot.Id;
        var created = snapshot.Labels.TryGetValue(SessionLabels.Created, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : (DateTimeOffset?)null;

        // Complete once, complete for good (nothing writes a snapshot after its marker): kept without a look when
        // that is enough. Whether it is in use or locked only matters for a removal, which this is not.
        if (memory?.Contains(snapshot) == true && WhyRemove(new SeedSnapshotFacts(volume, created, InUse: false, LockHeld: false, Complete: true), olderThan, pruneAll, DateTimeOffset.UtcNow) is null)
        {
            return false;
        }

        var inUse = (await engine.Containers.ListRunningUsingVolumeAsync(volume, cancellationToken).ConfigureAwait(false)).Count > 0;
        var image = await ProbeImageAsync(snapshot, fallbackImages, cancellationToken).ConfigureAwait(false);
        if (inUse || image is null)
        {
            if (image is null)
            {
                log.Warning("Kept the seed snapshot {Volume}: neither its DinD image nor {Images} is on the engine to check it with; remove it with: docker volume rm {Volume}", volume, string.Join(", ", fallbackImages), volume);
            }

            return false;
        }

        var (held, holder) = await CacheVolumeLock.TryAcquireAsync(engine, volume, image, log, cancellationToken).ConfigureAwait(false);
        if (held is null)
        {
            log.Information("Kept the seed snapshot {Volume}: another run holds it ({Holder})", volume, holder);
            return false;
        }

        await using (held.ConfigureAwait(false))
        {
            // Under the lock, again: a session may have started on it since.
            inUse = (await engine.Containers.ListRunningUsingVolumeAsync(volume, cancellationToken).ConfigureAwait(false)).Count > 0;
            var complete = inUse ? null : await IsCompleteAsync(volume, image, cancellationToken).ConfigureAwait(false);
            if (complete == true)
            {
                memory?.Add(snapshot);
            }
            if (WhyRemove(new SeedSnapshotFacts(volume, created, inUse, LockHeld: false, complete), olderThan, pruneAll, DateTimeOffset.UtcNow) is not { } reason)
            {
                return false;
            }

            try
            {
                await engine.Volumes.RemoveAsync(volume, cancellationToken).ConfigureAwait(false);
                log.Information("Removed the seed snapshot {Volume}: {Reason}", volume, reason);
                return true;
            }
            catch (DockerOperationException ex)
            {
                log.Information("Kept the seed snapshot {Volume}: {Reason}", volume, ex.EngineMessage);
                return false;
            }
        }
    }

    /// <summary>The snapshot's own DinD image where the engine still has it, else the first fallback it has; null when none is there.</summary>
    private async Task<string?> ProbeImageAsync(LabelledResource snapshot, IReadOnlyList<string> fallbackImages, CancellationToken cancellationToken)
    {
        foreach (var image in (string?[])[snapshot.Labels.GetValueOrDefault(SeedSnapshotStore.DindImageLabel), .. fallbackImages])
        {
            if (image is not null && await engine.Images.InspectAsync(image, cancellationToken).ConfigureAwait(false) is not null)
            {
                return image;
            }
        }

        return null;
    }

    /// <summary>
    /// Reads the marker through a container that mounts the volume read-only and never starts (nothing of the volume
    /// runs); labelled with a session of its own, so a Reap killed meanwhile leaves one the next Reap removes.
    /// Null when it could not be read: such a snapshot is kept unless old.
    /// </summary>
    private async Task<bool?> IsCompleteAsync(string volume, string image, CancellationToken cancellationToken)
    {
        var spec = new ContainerSpec(image)
        {
            Entrypoint = ["true"],
            NetworkMode = "none",
            Labels = SessionLabels.For(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)), "seed-snapshot-check"),
            Mounts = [new MountSpec(MountKind.Volume, volume, DindContainerSpecs.SeedSnapshotMount, ReadOnly: true)],
        };
        string? id = null;
        try
        {
            id = await engine.Containers.CreateAsync(spec, cancellationToken).ConfigureAwait(false);
            return SeedSnapshotStore.Names(await SeedSnapshotStore.ReadMarkerAsync(engine, id, cancellationToken).ConfigureAwait(false), volume);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.Debug("Could not read the marker of the seed snapshot {Volume}: {Reason}", volume, ex.Message);
            return null;
        }
        finally
        {
            if (id is not null)
            {
                // Before the volume's removal, which the engine refuses while any container references it.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await engine.Containers.RemoveAsync(id, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // The volume stays referenced, so its removal is refused; the next Reap removes this container (its owner gone).
                    log.Warning("Could not remove the container {Container} that read a seed snapshot's marker ({Reason}); remove it with: docker rm -f {Container}", id, ex.GetBaseException().Message, id);
                }
            }
        }
    }
}
