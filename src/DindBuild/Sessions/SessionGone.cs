using DindBuild.Diagnostics;

namespace DindBuild.Sessions;

/// <summary>
/// The error for a session that no longer exists — its daemon's container, or everything labelled
/// with it, was removed outside its own steps (another checkout's reaper, a hand, an engine reset).
/// Not an infrastructure failure: retrying the step meets the same absence, so the exit code says
/// "no retry" and the hint says what can pass instead.
/// </summary>
internal static class SessionGone
{
    /// <summary>What is gone when nothing labelled with the session is left on <paramref name="engine"/>.</summary>
    public static string NothingLeft(string sessionId, Docker.DockerEndpoint engine) =>
        $"nothing labelled {SessionLabels.Session}={sessionId} is left on {engine}";

    /// <summary>The error; <paramref name="step"/> is the step that found out, where known.</summary>
    public static DindBuildException Error(string sessionId, string? step, string whatIsGone, string? evidence = null, Exception? inner = null) => new(
        FailureKind.BadParameters,
        step is null ? $"Session {sessionId} cannot be continued: {whatIsGone}." : $"{step} cannot continue session {sessionId}: {whatIsGone}.",
        evidence,
        $"start a new session ('./build.sh StartDaemon', or the whole run with './build.sh DindTest'); retrying this step cannot pass. './build.sh Teardown --session-id {sessionId}' removes whatever is left of it.",
        inner);
}
