using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Reporting;
using DindBuild.Sessions;
using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>
/// What <c>dood</c> and <c>external</c> share: the session daemon is one DindBuild did not start, it
/// holds the session's resources itself, and there is no container of ours to watch, sample or blame.
/// </summary>
internal abstract class SharedDaemonMode(ModeContext context) : IDaemonMode
{
    private IDockerEngine? _daemon;

    public abstract DockerMode Kind { get; }

    public abstract TestDaemonSocket TestSocket(string sessionId);

    public string SamplesNote => $"{DaemonModes.Name(Kind)} mode has no DinD container";

    public DockerEndpoint? KeptDaemonEndpoint => null;

    protected ModeContext Context => context;

    /// <summary>
    /// A daemon reached through a unix socket on this machine may see this process's files: the proxy
    /// listens in the private directory and the test container mounts that path. Where the daemon
    /// does not see them (the build in a CI job container), the mount fails and the tests run without
    /// a socket, saying so — whether it sees them is only known by trying.
    /// </summary>
    protected static TestDaemonSocket ProxiedOnThisMachine(string sessionId, string daemonSocket) =>
        TestSockets.Proxied(SessionNames.PolicySocket(sessionId), SessionNames.PolicySocket(sessionId), daemonSocket, required: false);

    public async Task ConnectAsync(CancellationToken cancellationToken) =>
        _daemon ??= await ConnectDaemonAsync(cancellationToken).ConfigureAwait(false);

    public async Task PrepareImagesAsync(IReadOnlyList<string> baseImages, CancellationToken cancellationToken) =>
        await ImageRecipes.EnsureAsync(context.Recipes, await DaemonAsync(cancellationToken).ConfigureAwait(false), baseImages, context.Options.ContextDirectory, cancellationToken).ConfigureAwait(false);

    public SessionState Record(SessionState state)
    {
        var daemon = Endpoint ?? throw new InvalidOperationException("The session daemon is not resolved yet: StartDaemon connects first.");
        return state with
        {
            Mode = Kind,
            DockerHost = daemon.DockerHost,
            TlsCertificateDirectory = daemon.TlsCertificateDirectory,
            ResourceEngineHost = daemon.DockerHost,
            ResourceEngineTlsDirectory = daemon.TlsCertificateDirectory,
            Daemon = null,
        };
    }

    public abstract Task StartAsync(string sessionId, string owner, CancellationToken cancellationToken);

    public async Task<IDockerEngine> DaemonAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return _daemon!;
    }

    public abstract Task SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken);

    /// <summary>On the session daemon itself, never provisioning it: an engine that is gone holds nothing left to remove.</summary>
    public async Task<int> TeardownAsync(string sessionId, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        var daemon = _daemon ??= context.Engines.Open(Endpoint ?? throw new InvalidOperationException("No session daemon was resolved."));
        // The private directory holds the socket policy's socket, where RunTests made one.
        return await new SessionTeardown(daemon, context.Log).TeardownAsync(sessionId, SessionNames.PrivateDirectory(sessionId)).ConfigureAwait(false);
    }

    /// <summary>The daemon is not the session's: a session without containers or volumes can still run its next step.</summary>
    public Task<bool> ResourcesGoneAsync(string sessionId, CancellationToken cancellationToken) => Task.FromResult(false);

    public async Task<IReadOnlyList<string>> ReapAsync(TimeSpan? olderThan, CancellationToken cancellationToken) =>
        await new SessionReaper(await DaemonAsync(cancellationToken).ConfigureAwait(false), context.Log).ReapAsync(olderThan, cancellationToken).ConfigureAwait(false);

    public Task<DindBuildException?> ExplainFailureAsync(string step, Exception failure) => Task.FromResult<DindBuildException?>(null);

    public Task<string?> DaemonLogTailAsync() => Task.FromResult<string?>(null);

    public ResourceSampler? StartSampling() => null;

    public ValueTask DisposeAsync()
    {
        _daemon?.Dispose();
        _daemon = null;
        return ValueTask.CompletedTask;
    }

    /// <summary>The session daemon's endpoint, once known (a new external session resolves it when it connects).</summary>
    protected abstract DockerEndpoint? Endpoint { get; }

    /// <summary><c>docker version</c> against the session daemon, resolving its endpoint first where needed.</summary>
    protected abstract Task<IDockerEngine> ConnectDaemonAsync(CancellationToken cancellationToken);
}
