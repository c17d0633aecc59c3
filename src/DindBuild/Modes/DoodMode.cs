using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Reporting;
using DindBuild.Sessions;
using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>
/// <c>dood</c>: the host's own daemon through its socket. It is the session daemon and holds the
/// session's resources; nothing is started or seeded (the host's images and layer cache are used),
/// and the tests get the host socket — root on the host, said once as a warning.
/// </summary>
internal sealed class DoodMode(ModeContext context, DockerEndpoint socket) : IDaemonMode
{
    private IDockerEngine? _host;

    public DockerMode Kind => DockerMode.Dood;

    public TestDaemonSocket TestSocket => new(context.Options.MountDockerSocket ? socket.UnixSocketPath : null, Required: true);

    public string SamplesNote => "dood mode has no DinD container";

    public DockerEndpoint? KeptDaemonEndpoint => null;

    public async Task ConnectAsync(CancellationToken cancellationToken) =>
        _host ??= await context.Engines.ConnectAsync(socket, EngineRole.HostEngine, cancellationToken).ConfigureAwait(false);

    public async Task PrepareImagesAsync(IReadOnlyList<string> baseImages, CancellationToken cancellationToken) =>
        await ImageRecipes.EnsureAsync(context.Recipes, await DaemonAsync(cancellationToken).ConfigureAwait(false), baseImages, cancellationToken).ConfigureAwait(false);

    public SessionState Record(SessionState state) => state with
    {
        Mode = Kind,
        DockerHost = socket.DockerHost,
        TlsCertificateDirectory = null,
        ResourceEngineHost = socket.DockerHost,
        ResourceEngineTlsDirectory = null,
        Daemon = null,
    };

    public async Task StartAsync(string sessionId, string owner, CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        context.Log.Warning("dood mode: builds and tests use the host's daemon at {Endpoint}; whatever can reach that socket is root on this host", socket);
    }

    public async Task<IDockerEngine> DaemonAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return _host!;
    }

    public Task SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        context.Log.Information("dood mode: the build uses the host's images directly; nothing to seed");
        return Task.CompletedTask;
    }

    public async Task<int> TeardownAsync(string sessionId, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        var host = _host ??= context.Engines.Open(socket);
        return await new SessionTeardown(host, context.Log).TeardownAsync(sessionId, socketDirectory: null).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> ReapAsync(TimeSpan? olderThan, CancellationToken cancellationToken) =>
        await new SessionReaper(await DaemonAsync(cancellationToken).ConfigureAwait(false), context.Log).ReapAsync(olderThan, cancellationToken).ConfigureAwait(false);

    public Task<DindBuildException?> ExplainFailureAsync(string step, Exception failure) => Task.FromResult<DindBuildException?>(null);

    public Task<string?> DaemonLogTailAsync() => Task.FromResult<string?>(null);

    public ResourceSampler? StartSampling() => null;

    public ValueTask DisposeAsync()
    {
        _host?.Dispose();
        _host = null;
        return ValueTask.CompletedTask;
    }
}
