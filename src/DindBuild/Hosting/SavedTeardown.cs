using System.Runtime.ExceptionServices;
using DindBuild.Diagnostics;
using DindBuild.Sessions;

namespace DindBuild.Hosting;

/// <summary>Teardown of several saved sessions: each is tried, whatever became of the others, and all failures are reported together.</summary>
internal static class SavedTeardown
{
    /// <summary><paramref name="keepLast"/> gets the last session, torn down or not, so that this process reports on it; the others are disposed.</summary>
    public static async Task EachAsync(IReadOnlyList<SessionState> saved, Func<SessionState, DindSession> continueSession, Action<DindSession> keepLast)
    {
        var failures = new List<Exception>();
        foreach (var state in saved)
        {
            DindSession session;
            try
            {
                session = continueSession(state);
            }
            catch (DindBuildException ex)
            {
                // A mode that contradicts the saved one: this session stays, the others still go.
                failures.Add(ex);
                continue;
            }

            try
            {
                await session.TeardownAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add(ex);
            }

            if (ReferenceEquals(state, saved[^1]))
            {
                keepLast(session);
            }
            else
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (failures.Count == 1)
        {
            ExceptionDispatchInfo.Throw(failures[0]);
        }

        if (failures.Count > 1)
        {
            throw new DindBuildException(
                failures.OfType<DindBuildException>().FirstOrDefault()?.Kind ?? FailureKind.Infrastructure,
                $"Teardown failed for {failures.Count} of {saved.Count} saved sessions.",
                string.Join('\n', failures.Select(failure => failure.Message)),
                "see each failure's own hint above.");
        }
    }
}
