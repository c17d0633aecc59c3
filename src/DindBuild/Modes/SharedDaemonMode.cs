using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Reporting;
using DindBuild.Sessions;
using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>
/// What <c>dood</c> and <c>external</c> share: the session daemon is one DindBuild did not start, it
/// holds the session's resources itself, and there is no container of ours to watch, sample or blame.
/// A session there is its anchor volume (<see cref="SessionNames.SessionAnchor"/>) and whatever its
/// steps created, on the daemon whose ID StartDaemon recorded (<paramref name="saved"/> for a continued
/// session; null for a new one, or one saved before sessions had anchors).
/// </summary>
internal abstract class SharedDaemonMode(ModeContext context, SharedSession? saved) : IDaemonMode
{
    private readonly string? _savedDaemonId = saved?.DaemonId;
    private IDockerEngine? _daemon;
    private string? _daemonId = saved?.DaemonId;
    private bool _daemonChecked;

    public abstract DockerMode Kind { get; }

    public IReadOnlyList<string> RegistryMirrors => [];

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
            DaemonId = _daemonId,
        };
    }

    /// <summary>
    /// Opens the session on the daemon, records which daemon that is (<c>docker info</c>'s ID) and makes
    /// the anchor volume (<c>docker volume create --label org.dindbuild.session=ID …</c>).
    /// </summary>
    public async Task StartAsync(string sessionId, string owner, CancellationToken cancellationToken)
    {
        if (context.Options.InnerUserns == InnerUserns.On)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"'--inner-userns on' needs the dind mode: in {DaemonModes.Name(Kind)} mode the daemon is not DindBuild's to configure.",
                $"--docker-mode {DaemonModes.Name(Kind)} with --inner-userns on",
                "use '--docker-mode dind' (the default without DOCKER_HOST), or '--inner-userns auto'; a daemon of your own gets '--userns-remap' in its own configuration.");
        }

        WarnRegistrySettingsNotApplied();
        if (!context.Options.ExtraCaCertificates.IsEmpty)
        {
            context.Log.Information(
                "Extra CA certificates ({Count}): the {Mode} daemon is not DindBuild's, so its pulls trust what its host trusts (add the CA to that host's store, e.g. /usr/local/share/ca-certificates then update-ca-certificates, and restart dockerd); the test container gets them",
                context.Options.ExtraCaCertificates.Count,
                DaemonModes.Name(Kind));
        }

        await OpenAsync(cancellationToken).ConfigureAwait(false);
        var daemon = _daemon!;
        _daemonId = (await daemon.System.GetInfoAsync(cancellationToken).ConfigureAwait(false)).Id;
        _daemonChecked = true;
        await ResourceCreation.RunAsync(ct => daemon.Volumes.CreateAsync(SessionNames.SessionAnchor(sessionId), SessionLabels.For(sessionId, "session", owner), ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// --registry-ca, --registry-mirror and --insecure-registry configure a daemon DindBuild starts; this one is not, and a
    /// run that works in dind must not stop in dood (auto picks external wherever DOCKER_HOST is set): a warning says
    /// what is not applied and where that daemon's owner sets it, and the pulls and pushes go on as that daemon is set up.
    /// </summary>
    private void WarnRegistrySettingsNotApplied()
    {
        var options = context.Options;
        var unapplied = options.RegistryCas.Select(registry => $"--registry-ca {registry.Host}=… (on that daemon's host: /etc/docker/certs.d/{registry.DirectoryName}/ca.crt, read at each pull and push)")
            .Concat(options.RegistryMirrors.Select(mirror => $"--registry-mirror {mirror} (that daemon's daemon.json \"registry-mirrors\", then restart dockerd)"))
            .Concat(options.InsecureRegistries.Select(registry => $"--insecure-registry {registry} (that daemon's daemon.json \"insecure-registries\", then restart dockerd)"))
            .ToList();
        if (unapplied.Count > 0)
        {
            context.Log.Warning(
                "Not applied in {Mode:l} mode, whose daemon DindBuild does not start: {Settings:l}; pulls and pushes use that daemon's own registry configuration",
                DaemonModes.Name(Kind),
                string.Join("; ", unapplied));
        }
    }

    /// <summary>A continued session's daemon must still be the one it started on: another one holds nothing of it.</summary>
    public async Task<IDockerEngine> DaemonAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (saved is not null && !_daemonChecked)
        {
            var id = (await _daemon!.System.GetInfoAsync(cancellationToken).ConfigureAwait(false)).Id;
            if (id != saved.DaemonId)
            {
                throw SessionGone.Error(saved.SessionId, step: null, OtherDaemon(id), $"docker info at {Endpoint}: ID {id}");
            }

            _daemonChecked = true;
        }

        return _daemon!;
    }

    public abstract Task<IReadOnlyList<Images.MissingImage>> SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken);

    /// <summary><c>docker image inspect</c> of each image on the session daemon: those it does not have, with <paramref name="lookedIn"/>.</summary>
    protected static async Task<IReadOnlyList<Images.MissingImage>> AbsentAsync(IDockerEngine daemon, IReadOnlyList<string> images, string lookedIn, CancellationToken cancellationToken)
    {
        var missing = new List<Images.MissingImage>();
        foreach (var image in images)
        {
            if (await daemon.Images.InspectAsync(image, cancellationToken).ConfigureAwait(false) is null)
            {
                missing.Add(new Images.MissingImage(image, lookedIn));
            }
        }

        return missing;
    }

    public abstract Task LoadIntoHostAsync(string image, CancellationToken cancellationToken);

    /// <summary>On the session daemon itself, never provisioning it: an engine that is gone holds nothing left to remove.</summary>
    public async Task<int> TeardownAsync(string sessionId, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        var daemon = _daemon ??= context.Engines.Open(Endpoint ?? throw new InvalidOperationException("No session daemon was resolved."));
        // The private directory holds the socket policy's socket, where RunTests made one.
        return await new SessionTeardown(daemon, context.Log).TeardownAsync(sessionId, SessionNames.PrivateDirectory(sessionId)).ConfigureAwait(false);
    }

    /// <summary>
    /// Gone once its daemon is another one, or nothing labelled with it (its anchor included) is left;
    /// a session saved without a daemon ID (before anchors, or a StartDaemon that did not finish) cannot tell.
    /// </summary>
    public async Task<string?> WhyGoneAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (_savedDaemonId is null || Endpoint is not { } endpoint)
        {
            return null;
        }

        // Never provisions, and needs no version check.
        var daemon = _daemon ?? context.Engines.Open(endpoint);
        try
        {
            var id = (await daemon.System.GetInfoAsync(cancellationToken).ConfigureAwait(false)).Id;
            if (id != _savedDaemonId)
            {
                return OtherDaemon(id);
            }

            return await new SessionTeardown(daemon, context.Log).AnyLeftAsync(sessionId, cancellationToken).ConfigureAwait(false)
                ? null
                : SessionGone.NothingLeft(sessionId, endpoint);
        }
        finally
        {
            if (!ReferenceEquals(daemon, _daemon))
            {
                daemon.Dispose();
            }
        }
    }

    public async Task<IReadOnlyList<string>> ReapAsync(TimeSpan? olderThan, CancellationToken cancellationToken) =>
        await new SessionReaper(await DaemonAsync(cancellationToken).ConfigureAwait(false), context.Log, context.Options).ReapAsync(olderThan, cancellationToken).ConfigureAwait(false);

    public Task<DindBuildException?> ExplainFailureAsync(string step, Exception failure) => Task.FromResult<DindBuildException?>(null);

    public Task<string?> DaemonLogTailAsync() => Task.FromResult<string?>(null);

    public ResourceSampler? StartSampling() => null;

    public ValueTask DisposeAsync()
    {
        _daemon?.Dispose();
        _daemon = null;
        return ValueTask.CompletedTask;
    }

    /// <summary>Opens the session on the daemon: connects, and says what this mode means.</summary>
    protected abstract Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>The session daemon's endpoint, once known (a new external session resolves it when it connects).</summary>
    protected abstract DockerEndpoint? Endpoint { get; }

    /// <summary><c>docker version</c> against the session daemon, resolving its endpoint first where needed.</summary>
    protected abstract Task<IDockerEngine> ConnectDaemonAsync(CancellationToken cancellationToken);

    private string OtherDaemon(string id) =>
        $"the daemon at {Endpoint} is another one now (docker info ID {id}; the session was started on {_savedDaemonId})";
}

/// <summary>What a continued dood or external session was saved with: its id and its daemon's <c>docker info</c> ID.</summary>
internal sealed record SharedSession(string SessionId, string DaemonId);
