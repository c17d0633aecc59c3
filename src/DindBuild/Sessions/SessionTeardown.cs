using DindBuild.Diagnostics;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.Sessions;

/// <summary>
/// Removes everything labelled with a session id from an engine — containers first (they hold the
/// volumes), then volumes, then networks — and the session's socket directory. It tries every
/// resource and reports all failures together instead of stopping at the first.
/// </summary>
internal sealed class SessionTeardown(IDockerEngine engine, ILogger log)
{
    private static readonly TimeSpan PerResourceTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Whether the engine holds any container, volume or network labelled with the session.</summary>
    public async Task<bool> AnyLeftAsync(string sessionId, CancellationToken cancellationToken) =>
        (await engine.Containers.ListIdsByLabelAsync(SessionLabels.Session, sessionId, cancellationToken).ConfigureAwait(false)).Count > 0
        || (await engine.Volumes.ListNamesByLabelAsync(SessionLabels.Session, sessionId, cancellationToken).ConfigureAwait(false)).Count > 0
        || (await engine.Networks.ListIdsByLabelAsync(SessionLabels.Session, sessionId, cancellationToken).ConfigureAwait(false)).Count > 0;

    public async Task<int> TeardownAsync(string sessionId, string? socketDirectory)
    {
        var failures = new List<string>();
        var removed = 0;

        async Task TryAsync(string what, Func<CancellationToken, Task> action)
        {
            using var timeout = new CancellationTokenSource(PerResourceTimeout);
            try
            {
                await action(timeout.Token).ConfigureAwait(false);
                Interlocked.Increment(ref removed);
                log.Debug("Removed {What}", what);
            }
            catch (Exception ex)
            {
                lock (failures)
                {
                    failures.Add($"{what}: {ex.GetBaseException().Message}");
                }
            }
        }

        async Task<IReadOnlyList<string>> ListAsync(string kind, Func<CancellationToken, Task<IReadOnlyList<string>>> list)
        {
            using var timeout = new CancellationTokenSource(PerResourceTimeout);
            try
            {
                return await list(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failures.Add($"listing {kind}: {ex.GetBaseException().Message}");
                return [];
            }
        }

        // In parallel within each kind; kinds in order, since containers hold volumes and networks.
        var containers = await ListAsync("containers", ct => engine.Containers.ListIdsByLabelAsync(SessionLabels.Session, sessionId, ct)).ConfigureAwait(false);
        await Task.WhenAll(containers.Select(id => TryAsync($"container {id[..12]}", ct => engine.Containers.RemoveAsync(id, ct)))).ConfigureAwait(false);

        // The directory before the last labelled resources: a teardown killed half-way still leaves
        // something labelled, by which the reaper finds the session and finishes the job.
        if (socketDirectory is not null && Directory.Exists(socketDirectory))
        {
            await TryAsync($"directory {socketDirectory}", _ =>
            {
                Directory.Delete(socketDirectory, recursive: true);
                return Task.CompletedTask;
            }).ConfigureAwait(false);
        }

        var volumes = await ListAsync("volumes", ct => engine.Volumes.ListNamesByLabelAsync(SessionLabels.Session, sessionId, ct)).ConfigureAwait(false);
        var networks = await ListAsync("networks", ct => engine.Networks.ListIdsByLabelAsync(SessionLabels.Session, sessionId, ct)).ConfigureAwait(false);
        await Task.WhenAll(
            volumes.Select(name => TryAsync($"volume {name}", ct => engine.Volumes.RemoveAsync(name, ct)))
                .Concat(networks.Select(id => TryAsync($"network {id[..12]}", ct => engine.Networks.RemoveAsync(id, ct))))).ConfigureAwait(false);

        if (failures.Count > 0)
        {
            throw new DindBuildException(
                FailureKind.Infrastructure,
                $"Teardown of session {sessionId} could not remove {failures.Count} resource(s); {removed} were removed.",
                string.Join('\n', failures),
                $"remove what is left with: docker rm -f $(docker ps -aq --filter label={SessionLabels.Session}={sessionId}); docker volume rm $(docker volume ls -q --filter label={SessionLabels.Session}={sessionId})");
        }

        return removed;
    }
}
