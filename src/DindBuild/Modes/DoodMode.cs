using DindBuild.Docker;
using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>
/// <c>dood</c>: the host's own daemon through its socket. It is the session daemon and holds the
/// session's resources; nothing is started or seeded (the host's images and layer cache are used),
/// and the tests get the host socket — root on the host, said once as a warning.
/// </summary>
internal sealed class DoodMode(ModeContext context, DockerEndpoint socket, SharedSession? saved) : SharedDaemonMode(context, saved)
{
    public override DockerMode Kind => DockerMode.Dood;

    public override TestDaemonSocket TestSocket(string sessionId) => TestSockets.Choose(
        Context.Options,
        permissive: () => TestSockets.Raw(socket.UnixSocketPath!, required: true, "whatever the tests run is root on this host"),
        strict: () => ProxiedOnThisMachine(sessionId, socket.UnixSocketPath!));

    protected override DockerEndpoint? Endpoint => socket;

    protected override async Task OpenAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        Context.Log.Warning("dood mode: builds and tests use the host's daemon at {Endpoint}; whatever can reach that socket is root on this host", socket);
    }

    /// <summary>Nothing is copied; base images this machine cannot pull are built on the host daemon when the build needs them, and the others must be there.</summary>
    public override async Task<IReadOnlyList<Images.MissingImage>> SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        Context.Log.Information("dood mode: the run uses the host's images directly; nothing to seed");
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        await ImageRecipes.EnsureForBuildAsync(Context.Recipes, daemon, images, Context.Options.ContextDirectory, cancellationToken).ConfigureAwait(false);
        return await AbsentAsync(daemon, images, $"not on the host engine at {socket.DockerHost} (dood mode: the session's daemon is the host's)", cancellationToken).ConfigureAwait(false);
    }

    public override Task LoadIntoHostAsync(string image, CancellationToken cancellationToken)
    {
        Context.Log.Information("dood mode: {Image} was built on the host engine; it is there already", image);
        return Task.CompletedTask;
    }

    protected override Task<IDockerEngine> ConnectDaemonAsync(CancellationToken cancellationToken) =>
        Context.Engines.ConnectAsync(socket, EngineRole.HostEngine, cancellationToken);
}
