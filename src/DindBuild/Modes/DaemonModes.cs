using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>The one place a mode is chosen: for a new session from the options, for a saved one from what it was saved with.</summary>
internal static class DaemonModes
{
    /// <summary><c>auto</c> is external when DOCKER_HOST is set (a CI service provides the daemon), else dind.</summary>
    public static DockerMode Resolve(DockerMode requested, Func<string, string?> environment) => requested switch
    {
        DockerMode.Auto => string.IsNullOrEmpty(environment("DOCKER_HOST")) ? DockerMode.Dind : DockerMode.External,
        var explicitMode => explicitMode,
    };

    public static IDaemonMode ForNewSession(ModeContext context) => Resolve(context.Options.DockerMode, context.Environment) switch
    {
        DockerMode.Dind => new DindMode(context, DockerEndpoint.FromEnvironment(context.Environment), daemon: null),
        DockerMode.Dood => new DoodMode(context, DockerEndpoint.UnixSocket(context.Options.DockerSocket), saved: null),
        _ => new ExternalMode(context, endpoint: null, saved: null),
    };

    /// <summary>The saved session's mode is every later step's mode: a different explicit <c>--docker-mode</c> is an error.</summary>
    public static IDaemonMode ForSavedSession(SessionState saved, ModeContext context)
    {
        if (context.Options.DockerMode != DockerMode.Auto && context.Options.DockerMode != saved.Mode)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"Session {saved.SessionId} runs in {Name(saved.Mode)} mode, not {Name(context.Options.DockerMode)}.",
                $"the session was started with '--docker-mode {Name(saved.Mode)}'; this step was given '--docker-mode {Name(context.Options.DockerMode)}'",
                $"pass the same '--docker-mode' to every step, or none (later steps take the session's mode); or tear it down ('./build.sh Teardown --session-id {saved.SessionId}') and start a new one.");
        }

        var daemon = new DockerEndpoint(new Uri(saved.DockerHost), saved.TlsCertificateDirectory);
        var shared = saved.DaemonId is { } daemonId ? new SharedSession(saved.SessionId, daemonId) : null;
        return saved.Mode switch
        {
            DockerMode.Dind => new DindMode(context, new DockerEndpoint(new Uri(saved.ResourceEngineHost), saved.ResourceEngineTlsDirectory), saved.Daemon),
            DockerMode.Dood => new DoodMode(context, daemon, shared),
            DockerMode.External => new ExternalMode(context, daemon, shared),
            _ => throw new DindBuildException(FailureKind.BadParameters, $"Saved session {saved.SessionId} has no mode it could run in ('{saved.Mode}').", null, $"remove it with './build.sh Teardown --session-id {saved.SessionId}'."),
        };
    }

    public static string Name(DockerMode mode) => mode.ToString().ToLowerInvariant();
}
