using DindBuild.Diagnostics;
using DindBuild.IO;
using DindBuild.Sessions;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Hosting;

/// <summary>
/// The saved sessions a step may continue: those whose resources still exist. A saved session whose
/// resources are gone — reaped by another checkout, removed by hand, lost with an engine reset — is
/// reported once and forgotten (its saved state, docker context and private directory go), so that it
/// neither makes a later step ambiguous ("2 saved sessions") nor fails an "always" Teardown for state that no longer exists.
/// </summary>
internal sealed class LiveSessions(SavedSessions saved, DindSettings settings, ILogger log, SessionServices services)
{
    /// <summary>Each look at an engine; a hung engine must not hang an "always" step.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(30);

    private SessionStore Store => saved.Store;

    /// <summary>The saved state of <paramref name="sessionId"/>; null when none is saved or it was gone (and is forgotten now).</summary>
    public async Task<SessionState?> TryLoadAsync(string sessionId, CancellationToken cancellationToken) =>
        Store.TryLoad(sessionId) is { } state && await ForgetIfGoneAsync(state, cancellationToken).ConfigureAwait(false) is null ? state : null;

    /// <summary>Every saved session of this checkout that still exists; the gone ones are forgotten on the way.</summary>
    public async Task<IReadOnlyList<SessionState>> AllAsync(CancellationToken cancellationToken)
    {
        var live = new List<SessionState>();
        foreach (var sessionId in Store.SessionIds())
        {
            if (await TryLoadAsync(sessionId, cancellationToken).ConfigureAwait(false) is { } state)
            {
                live.Add(state);
            }
        }

        return live;
    }

    /// <summary>For <paramref name="step"/>: the session named by <c>--session-id</c>, else the only live one; a clear error otherwise.</summary>
    public async Task<SessionState> ForStepAsync(string step, CancellationToken cancellationToken)
    {
        if (settings.SessionIdGiven)
        {
            var state = Store.Load(settings.SessionId, step);
            return await ForgetIfGoneAsync(state, cancellationToken).ConfigureAwait(false) is { } gone
                ? throw SessionGone.Error(state.SessionId, step, gone, $"saved in {Store.PathOf(state.SessionId)} (forgotten now)")
                : state;
        }

        var before = Store.SessionIds();
        var live = await AllAsync(cancellationToken).ConfigureAwait(false);
        if (live.Count == 0 && before.Count > 0)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"{step} has no session to continue: the saved session(s) {string.Join(", ", before)} are gone (their resources were removed elsewhere) and are forgotten now.",
                $"nothing labelled {SessionLabels.Session}=ID is left on the engines that held them, or (dood, external) their daemon is another one now",
                "start a new session with './build.sh StartDaemon' (or the whole run with './build.sh DindTest'); retrying this step cannot pass.");
        }

        // One live session, or the usual errors for none and for several.
        return live.Count == 1 ? live[0] : Store.Load(null, step);
    }

    /// <summary>Why the session is gone, after saying so once and forgetting it; null when it exists or no engine can tell.</summary>
    private async Task<string?> ForgetIfGoneAsync(SessionState state, CancellationToken cancellationToken)
    {
        if (state.RunningElsewhere() is { } process)
        {
            // It may be starting that very session now: its state is saved before its network and private directory exist.
            log.Debug("Not checking saved session {Session}: process {Process} of this host is running it", state.SessionId, process);
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        string? gone;
        try
        {
            gone = await DindSession.WhyGoneAsync(state, settings, log, services, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Unknown is not gone: the step itself will meet the engine and say what is wrong with it.
            log.Debug("Could not check whether saved session {Session} still exists: {Reason}", state.SessionId, ex.GetBaseException().Message);
            return null;
        }

        if (gone is null)
        {
            return null;
        }

        log.Warning(
            "Saved session {Session} is gone: {Reason} (reaped by another checkout, removed by hand, or the engine was reset); forgetting it",
            state.SessionId,
            gone);
        saved.SessionRemoved(state.SessionId);
        DeletePrivateDirectory(state);
        return gone;
    }

    /// <summary>
    /// The session's private directory on this host (the daemon's socket, the client's TLS key): nothing labelled
    /// is left to lead a Teardown or the reaper to it, so forgetting the session is its last chance. Never fails
    /// the step. (A session another live build process here runs is never forgotten: see <see cref="ForgetIfGoneAsync"/>.)
    /// </summary>
    private void DeletePrivateDirectory(SessionState state)
    {
        var directory = SessionNames.PrivateDirectory(state.SessionId);
        if (PrivateFiles.TryDeleteDirectory(directory) is { } failure)
        {
            log.Warning(
                "Could not delete the private directory {Directory} of gone session {Session} (it holds the session's client TLS key): {Reason}; remove it with: rm -rf {Directory}",
                directory,
                state.SessionId,
                failure,
                directory);
        }
    }
}
