using DindBuild.Docker;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Hosting;

/// <summary>
/// Keeps a session where the next build process finds it: its state and client environment in the
/// <see cref="SessionStore"/> after every change, and — for a kept DinD daemon — a docker context;
/// both forgotten when the session is removed (torn down, or reaped).
/// </summary>
internal sealed class SavedSessions(SessionStore store, Func<string, string?> environment, ILogger log) : SessionListener
{
    public SessionStore Store => store;

    public override void StateChanged(SessionState state) => store.Save(state with { SavedBy = ProcessOwner.Current }, state.ClientEnvironment());

    public override void SessionRemoved(string sessionId)
    {
        store.Delete(sessionId);
        var name = SessionNames.DockerContext(sessionId);
        try
        {
            if (DockerContextStore.FromEnvironment(environment).Remove(name))
            {
                log.Information("Removed docker context {Context}", name);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not remove docker context {Context}: {Reason}", name, ex.Message);
        }
    }

    /// <summary>A kept DinD daemon is usable as <c>docker --context dindbuild-ID</c>, like any other daemon the CLI knows.</summary>
    public void SaveDockerContext(string sessionId, DockerEndpoint daemon)
    {
        var name = SessionNames.DockerContext(sessionId);
        var contexts = DockerContextStore.FromEnvironment(environment);
        try
        {
            contexts.Save(name, daemon, $"DindBuild session {sessionId} (removed by ./build.sh Teardown --session-id {sessionId})");
            log.Information("Docker context {Context} points at the kept daemon: docker --context {Context} ps", name, name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not create docker context {Context} in {Store}: {Reason}; the environment below still works", name, contexts.ConfigDirectory, ex.Message);
        }
    }
}
