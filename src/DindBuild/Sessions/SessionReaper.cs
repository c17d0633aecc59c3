using System.Globalization;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Images.Snapshots;
using Serilog;

namespace DindBuild.Sessions;

/// <summary>
/// Removes the sessions whose owner process is gone (a build killed with SIGKILL, a CI job cancelled
/// hard) — no sidecar needed, the labels say who owns what. A session whose owner is alive, or that
/// was kept for later steps, is never touched unless it is older than <c>olderThan</c>. Cache-volume
/// locks left by killed runs go too, and then seed snapshots (<see cref="SeedSnapshotPruner"/>) when
/// <paramref name="settings"/> are given: after the sessions and locks, so a killed maker no longer holds its own.
/// </summary>
internal sealed class SessionReaper(IDockerEngine engine, ILogger log, Settings.DindSettings? settings = null)
{
    /// <summary>Reaps what is dead; returns the reaped session ids.</summary>
    public async Task<IReadOnlyList<string>> ReapAsync(TimeSpan? olderThan, CancellationToken cancellationToken)
    {
        var resources = new List<LabelledResource>();
        resources.AddRange(await engine.Containers.ListWithLabelAsync(SessionLabels.Session, cancellationToken).ConfigureAwait(false));
        resources.AddRange(await engine.Volumes.ListWithLabelAsync(SessionLabels.Session, cancellationToken).ConfigureAwait(false));
        resources.AddRange(await engine.Networks.ListWithLabelAsync(SessionLabels.Session, cancellationToken).ConfigureAwait(false));

        var now = DateTimeOffset.UtcNow;
        var dead = resources
            .GroupBy(resource => resource.Labels[SessionLabels.Session])
            .Where(session => session.All(resource => IsReapable(resource, olderThan, now)))
            .Select(session => session.Key)
            .ToList();

        var teardown = new SessionTeardown(engine, log);
        foreach (var sessionId in dead)
        {
            var removed = await teardown.TeardownAsync(sessionId, SessionNames.PrivateDirectory(sessionId)).ConfigureAwait(false);
            log.Information("Reaped session {Session}: {Count} resource(s) whose owner is gone", sessionId, removed);
        }

        // A run killed while it held a cache volume's lock left it behind; no session owns it.
        await CacheVolumeLock.ReapAsync(engine, olderThan, log, cancellationToken).ConfigureAwait(false);
        if (settings is not null)
        {
            await new SeedSnapshotPruner(engine, log, IO.StateDirectory.EnginesFor(settings.RepositoryRoot)).PruneAsync(olderThan, settings.PruneSeedSnapshots, [settings.DindImage, Provisioning.ImageRecipe.Dind.ImageName], cancellationToken).ConfigureAwait(false);
        }

        return dead;
    }

    private static bool IsReapable(LabelledResource resource, TimeSpan? olderThan, DateTimeOffset now)
    {
        if (olderThan is { } age
            && resource.Labels.TryGetValue(SessionLabels.Created, out var created)
            && long.TryParse(created, CultureInfo.InvariantCulture, out var seconds)
            && now - DateTimeOffset.FromUnixTimeSeconds(seconds) > age)
        {
            return true;
        }

        // No owner label: made by something older than the reaper; only its age can retire it.
        return resource.Labels.TryGetValue(SessionLabels.Owner, out var owner) && !ProcessOwner.IsAlive(owner);
    }
}
