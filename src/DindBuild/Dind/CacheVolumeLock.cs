using System.Collections.Immutable;
using System.Globalization;
using DindBuild.Docker;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Dind;

/// <summary>
/// The lock under which a run checks that no daemon uses a cache volume and starts its own on it.
/// It is kept by the engine that holds the volume, not by the build host: runs with another TMPDIR,
/// in another container or on another machine (DOCKER_HOST) all see it. It is a container named
/// <c>dindbuild-cache-lock-CACHE</c>, created and never started — a second create of that name is
/// refused, so taking the lock is atomic. It is held only from the check until the DinD container
/// runs; from then on "a running container mounts the volume" is the exclusion. Labelled with its
/// owner (<see cref="ProcessOwner"/>) and creation time, not with a session: teardown must not take it,
/// and a lock left by a killed run is recognised by its dead owner (or its age) and reclaimed.
/// </summary>
internal sealed class CacheVolumeLock : IAsyncDisposable
{
    public const string Label = "org.dindbuild.cache-lock";

    /// <summary>A lock whose owner is on another host, which cannot be checked from here, counts as abandoned after this long; it is held for seconds.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(30);

    private readonly IDockerEngine _host;
    private readonly string _id;
    private readonly string _cache;
    private readonly ILogger _log;

    private CacheVolumeLock(IDockerEngine host, string id, string cache, ILogger log)
    {
        _host = host;
        _id = id;
        _cache = cache;
        _log = log;
    }

    public static string ContainerName(string cache) => $"dindbuild-cache-lock-{cache}";

    /// <summary>
    /// Takes the lock of <paramref name="cache"/>, reclaiming one whose owner is gone; returns null
    /// and who holds it when a live run does. <paramref name="image"/> is any image the engine has
    /// (the container never runs).
    /// </summary>
    public static async Task<(CacheVolumeLock? Lock, string? Holder)> TryAcquireAsync(IDockerEngine host, string cache, string image, ILogger log, CancellationToken cancellationToken)
    {
        // A few rounds: a lock can be released or reclaimed between our refused create and our look at it.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // The owner is this process even for a session kept for later steps: the lock ends with this start.
                var id = await ResourceCreation.RunAsync(ct => host.Containers.CreateAsync(Spec(cache, image), ct), cancellationToken).ConfigureAwait(false);
                return (new CacheVolumeLock(host, id, cache, log), null);
            }
            catch (DockerOperationException) when (attempt < 4)
            {
                if (await FindAsync(host, cache, cancellationToken).ConfigureAwait(false) is not { } held)
                {
                    continue;
                }

                if (WhyAbandoned(held.Labels, DateTimeOffset.UtcNow) is not { } reason)
                {
                    return (null, Describe(held.Labels));
                }

                // By id, never by name: the name may already belong to a newer, live lock.
                await host.Containers.RemoveAsync(held.Id, cancellationToken).ConfigureAwait(false);
                log.Information("Reclaimed the lock of the cache volume {Cache}: {Reason}", cache, reason);
            }
        }
    }

    /// <summary>Removes the cache locks whose owner is gone (or, with <paramref name="olderThan"/>, that are older); returns how many.</summary>
    public static async Task<int> ReapAsync(IDockerEngine host, TimeSpan? olderThan, ILogger log, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var reaped = 0;
        foreach (var held in await host.Containers.ListWithLabelAsync(Label, cancellationToken).ConfigureAwait(false))
        {
            if (!held.Labels.TryGetValue(Label, out var cache))
            {
                continue;
            }

            var reason = WhyAbandoned(held.Labels, now) ?? (olderThan is { } age && AgeOf(held.Labels, now) > age ? $"older than {age}" : null);
            if (reason is not null)
            {
                await host.Containers.RemoveAsync(held.Id, cancellationToken).ConfigureAwait(false);
                log.Information("Removed the lock of the cache volume {Cache}: {Reason}", cache, reason);
                reaped++;
            }
        }

        return reaped;
    }

    /// <summary>Why a lock is left over from a run that is gone; null while its owner may still be at work.</summary>
    internal static string? WhyAbandoned(IReadOnlyDictionary<string, string> labels, DateTimeOffset now)
    {
        var owner = labels.GetValueOrDefault(SessionLabels.Owner);
        if (owner is not null && !ProcessOwner.IsAlive(owner))
        {
            return $"its owner {owner} is gone";
        }

        var age = AgeOf(labels, now);
        if ((owner is null || !ProcessOwner.IsOnThisHost(owner)) && age > StaleAfter)
        {
            return $"its owner {owner ?? "(unknown)"} cannot be checked from this host and it is {age.TotalSeconds:0} s old";
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(ReleaseTimeout);
        try
        {
            await _host.Containers.RemoveAsync(_id, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Runs starting now wait for this process to end; then they reclaim the lock.
            _log.Warning("Could not release the lock of the cache volume {Cache} ({Reason}); remove it with: docker rm -f {Container}", _cache, ex.GetBaseException().Message, ContainerName(_cache));
        }
    }

    private static ContainerSpec Spec(string cache, string image) => new(image)
    {
        Name = ContainerName(cache),

        // Never started: it needs no command that exists, and no network.
        Entrypoint = ["true"],
        NetworkMode = "none",
        Labels = ImmutableDictionary<string, string>.Empty
            .Add(Label, cache)
            .Add(SessionLabels.Role, "cache-lock")
            .Add(SessionLabels.Owner, ProcessOwner.Current)
            .Add(SessionLabels.Created, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
    };

    private static async Task<LabelledResource?> FindAsync(IDockerEngine host, string cache, CancellationToken cancellationToken) =>
        (await host.Containers.ListWithLabelAsync(Label, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(held => held.Labels.GetValueOrDefault(Label) == cache);

    private static TimeSpan AgeOf(IReadOnlyDictionary<string, string> labels, DateTimeOffset now) =>
        labels.TryGetValue(SessionLabels.Created, out var created) && long.TryParse(created, CultureInfo.InvariantCulture, out var seconds)
            ? now - DateTimeOffset.FromUnixTimeSeconds(seconds)
            : TimeSpan.MaxValue;

    private static string Describe(IReadOnlyDictionary<string, string> labels)
    {
        var since = labels.TryGetValue(SessionLabels.Created, out var created) && long.TryParse(created, CultureInfo.InvariantCulture, out var seconds)
            ? $" since {DateTimeOffset.FromUnixTimeSeconds(seconds):u}"
            : "";
        return $"the lock container {ContainerName(labels[Label])}, held by {labels.GetValueOrDefault(SessionLabels.Owner) ?? "an unknown owner"}{since}";
    }
}
