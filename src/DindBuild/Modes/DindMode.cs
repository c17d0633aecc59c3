// Just over 300 lines: dind mode's IDaemonMode, whose start chooses snapshots, privilege and user namespace in one
// sequence; each choice's logic lives in Dind/ and Images/Snapshots/, this file only orders them.
using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Images;
using DindBuild.Images.Snapshots;
using DindBuild.Provisioning;
using DindBuild.Reporting;
using DindBuild.Sessions;
using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>
/// <c>dind</c>: a private daemon in a container on the host engine, started for the session. The host
/// engine holds the session's resources (the DinD container, its network and volumes); builds and
/// tests run inside the private daemon, and the tests reach it at its own socket.
/// </summary>
internal sealed class DindMode(ModeContext context, DockerEndpoint hostEndpoint, DindDaemon? daemon) : IDaemonMode, Compose.IComposeHosting
{
    private readonly bool _continued = daemon is not null;
    private IDockerEngine? _host;
    private IDockerEngine? _daemonClient;
    private DindDaemon? _daemon = daemon;

    public DockerMode Kind => DockerMode.Dind;

    public IReadOnlyList<string> RegistryMirrors => context.Options.RegistryMirrors;

    /// <summary>
    /// The private directory is bind-mounted into the DinD container, so the proxy listens there on
    /// the build host, forwards to the inner daemon's socket beside it, and the inner daemon mounts
    /// it into the test container from its side of the mount.
    /// </summary>
    public TestDaemonSocket TestSocket(string sessionId) => TestSockets.Choose(
        context.Options,
        permissive: () => TestSockets.Raw(SessionNames.DockerSocketPath, required: true, "the tests can start privileged containers and mount the DinD container's filesystem, which the privileged and capabilities profiles make root on this host"),
        strict: () => TestSockets.Proxied(DindDaemon.PolicySocketInContainer, SessionNames.PolicySocket(sessionId), PrivateSocket(sessionId).UnixSocketPath!, required: true));

    public string SamplesNote => "the DinD container did not run in this build process";

    public DockerEndpoint? KeptDaemonEndpoint => _daemon?.Endpoint;

    /// <summary>What this repository's runs learnt about host engines: a refused --privileged, a refused pull.</summary>
    private string EngineMemoryDirectory => IO.StateDirectory.EnginesFor(context.Options.RepositoryRoot);

    public async Task ConnectAsync(CancellationToken cancellationToken) =>
        _host ??= await context.Engines.ConnectAsync(hostEndpoint, EngineRole.HostEngine, cancellationToken).ConfigureAwait(false);

    public async Task PrepareImagesAsync(IReadOnlyList<string> baseImages, CancellationToken cancellationToken)
    {
        var host = await HostAsync(cancellationToken).ConfigureAwait(false);
        await new DindImageResolver(host, context.Recipes, context.Log, EngineMemoryDirectory).ResolveAsync(context.Options.DindImage, cancellationToken).ConfigureAwait(false);
        await ImageRecipes.EnsureAsync(context.Recipes, host, baseImages, context.Options.ContextDirectory, cancellationToken).ConfigureAwait(false);
    }

    public SessionState Record(SessionState state) => state with
    {
        Mode = Kind,
        DockerHost = (_daemon?.Endpoint ?? PrivateSocket(state.SessionId)).DockerHost,
        TlsCertificateDirectory = _daemon?.Endpoint.TlsCertificateDirectory,
        ResourceEngineHost = hostEndpoint.DockerHost,
        ResourceEngineTlsDirectory = hostEndpoint.TlsCertificateDirectory,
        Daemon = _daemon,
    };

    public async Task StartAsync(string sessionId, string owner, CancellationToken cancellationToken)
    {
        var host = await HostAsync(cancellationToken).ConfigureAwait(false);
        var options = context.Options;
        var image = await new DindImageResolver(host, context.Recipes, context.Log, EngineMemoryDirectory).ResolveAsync(options.DindImage, cancellationToken).ConfigureAwait(false);
        var starter = Starter(host);
        var usernsStart = await UsernsStartAsync(host, starter, image, cancellationToken).ConfigureAwait(false);
        var userns = await usernsStart.PlanAsync(InnerUsernsChoice.For(options), cancellationToken).ConfigureAwait(false);
        var dindOptions = new DindOptions(options.Tls, options.TlsExtraNames, options.SysboxRuntime)
        {
            Owner = owner,
            CacheVolume = options.CacheVolume,
            CacheWait = options.CacheWait,
            CacheFallbackToEphemeral = options.CacheBusyFallsBack,
            CacheMaxBytes = options.CacheMaxBytes,
            DaemonArguments = [.. options.RegistryDaemonArguments(), .. options.DaemonArguments],
            DataRootInMemory = options.DataRootInMemory,
            InnerUserns = userns.Try,
            PrivilegeMemoryDirectory = EngineMemoryDirectory,
            ExtraCa = options.ExtraCaCertificates,
            RegistryCas = options.RegistryCas,
        };
        dindOptions = await BuildSnapshotsAsync(host, sessionId, image, dindOptions, cancellationToken).ConfigureAwait(false);
        _daemon = await starter.StartAsync(sessionId, image, options.PrivilegeProfile, dindOptions, cancellationToken, SeedSnapshot(host, sessionId, image, dindOptions, cancellationToken)).ConfigureAwait(false);
        if (!userns.Try)
        {
            _daemon = _daemon with { InnerUsernsOffReason = userns.OffReason };
            return;
        }

        // Only a real container tells whether this host lets one start in a user namespace.
        (_daemon, _daemonClient) = await usernsStart.ConfirmAsync(_daemon, userns, dindOptions, _ => DaemonAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        if (!_daemon.InnerUserns)
        {
            // Restarted without the namespace: the image store's layout is not the key's any more, so nothing is saved.
            _daemon = _daemon with { BuildSnapshotMarker = null };
        }
    }

    /// <summary>
    /// The build snapshot this project's last long build left, copied in instead of the seed snapshot, and the volume
    /// this run may leave its own in (see <see cref="BuildSnapshotStore"/>); none where seed snapshots are not used.
    /// </summary>
    private async Task<DindOptions> BuildSnapshotsAsync(IDockerEngine host, string sessionId, string image, DindOptions dindOptions, CancellationToken cancellationToken)
    {
        var options = context.Options;
        if (options.BuildSnapshots == BuildSnapshotChoice.Off
            || SeedSnapshotKey.WhyNot(options.SeedSnapshots, dindOptions.CacheVolume, dindOptions.DaemonArguments) is not null
            || RunImages.ForSnapshot(options) is not { Count: > 0 } images)
        {
            return dindOptions;
        }

        var request = new SeedSnapshotRequest(sessionId, images, image, options.PrivilegeProfile, dindOptions.DaemonArguments, SocketDirectory: "") { InnerUserns = dindOptions.InnerUserns };
        if (await SeedSnapshotStore.KeyAsync(host, request, cancellationToken).ConfigureAwait(false) is not { } seed)
        {
            return dindOptions;
        }

        var key = new BuildSnapshotKey(seed, BuildSnapshotKey.ProjectOf(options));
        return dindOptions with
        {
            BuildSnapshot = await new BuildSnapshotStore(host, context.Log).FindAsync(key, cancellationToken).ConfigureAwait(false),
            BuildSnapshotOutput = BuildSnapshotOutput.For(key, sessionId),
        };
    }

    /// <summary>With --inner-userns auto, what the probe found on this engine and DinD image before is used (see <see cref="InnerUsernsMemory"/>).</summary>
    private async Task<InnerUsernsStart> UsernsStartAsync(IDockerEngine host, DindDaemonStarter starter, string image, CancellationToken cancellationToken)
    {
        if (context.Options.InnerUserns != InnerUserns.Auto)
        {
            return new InnerUsernsStart(starter, context.Log);
        }

        var key = await InnerUsernsMemory.KeyAsync(host, image, context.Options.PrivilegeProfile, cancellationToken).ConfigureAwait(false);
        return new InnerUsernsStart(starter, context.Log, new InnerUsernsMemory(EngineMemoryDirectory, TimeProvider.System, context.Log), key);
    }

    /// <summary>
    /// The seed snapshot of the run's images (made now on a first run with them), which the DinD container copies into
    /// its data root before its dockerd starts; none where the data root keeps images anyway or cannot take one.
    /// </summary>
    private Func<string, Task<string?>>? SeedSnapshot(IDockerEngine host, string sessionId, string image, DindOptions dindOptions, CancellationToken cancellationToken)
    {
        if (SeedSnapshotKey.WhyNot(context.Options.SeedSnapshots, dindOptions.CacheVolume, dindOptions.DaemonArguments) is { } reason)
        {
            context.Log.Debug("No seed snapshot: {Reason}", reason);
            return null;
        }

        var images = RunImages.ForSnapshot(context.Options);
        return images.Count == 0 ? null : socketDirectory => new SeedSnapshotStore(host, context.Engines.Open, context.Log).EnsureAsync(
            new SeedSnapshotRequest(sessionId, images, image, context.Options.PrivilegeProfile, dindOptions.DaemonArguments, Path.Combine(socketDirectory, "seed"))
            {
                Owner = dindOptions.Owner,
                InnerUserns = dindOptions.InnerUserns,
                SysboxRuntime = dindOptions.SysboxRuntime,
                DaemonStartTimeout = context.Options.DaemonStartTimeout,
            },
            cancellationToken);
    }

    public async Task<IDockerEngine> DaemonAsync(CancellationToken cancellationToken)
    {
        if (_daemonClient is not null)
        {
            return _daemonClient;
        }

        // Not retryable: no later step can finish what StartDaemon left half-done.
        var started = _daemon ?? throw new DindBuildException(
            FailureKind.BadParameters,
            "The session has no DinD daemon: its StartDaemon step did not finish.",
            null,
            "run './build.sh Teardown', then StartDaemon again.");
        var host = await HostAsync(cancellationToken).ConfigureAwait(false);
        if (_continued && await host.Containers.InspectAsync(started.ContainerId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw SessionGone.Error(
                started.ContainerName["dindbuild-".Length..],
                step: null,
                $"its DinD container {started.ContainerName} is gone from the host engine",
                $"docker inspect {started.ContainerName}: no such container on {hostEndpoint}");
        }

        _daemonClient = await Starter(host).WaitUntilReadyAsync(started, context.Options.DaemonStartTimeout, cancellationToken).ConfigureAwait(false);
        return _daemonClient;
    }

    public async Task<Compose.DindComposeHost> ComposeHostAsync(CancellationToken cancellationToken)
    {
        await DaemonAsync(cancellationToken).ConfigureAwait(false);
        return new Compose.DindComposeHost(await HostAsync(cancellationToken).ConfigureAwait(false), _daemon!.ContainerId, context.Log);
    }

    public async Task<IReadOnlyList<MissingImage>> SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var host = await HostAsync(cancellationToken).ConfigureAwait(false);
        context.Log.Information("The run needs {Images}", images.Count == 0 ? "no images" : string.Join(", ", images));

        // Hundreds of megabytes: through the private socket, which needs no TLS.
        using var bulk = context.Engines.Open(_daemon!.SocketEndpoint);
        return await new ImageSeeder(host, bulk, context.Recipes, context.Log) { ContextDirectory = context.Options.ContextDirectory }.SeedAsync(images, cancellationToken).ConfigureAwait(false);
    }

    public async Task LoadIntoHostAsync(string image, CancellationToken cancellationToken)
    {
        await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var host = await HostAsync(cancellationToken).ConfigureAwait(false);
        using var bulk = context.Engines.Open(_daemon!.SocketEndpoint);
        await new ImageSeeder(bulk, host, recipes: null, context.Log).CopyAsync(image, ("Loading into the host engine", "Loaded into the host engine"), cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> TeardownAsync(string sessionId, CancellationToken cancellationToken)
    {
        // Never provisions: an engine that is gone holds nothing left to remove.
        _ = cancellationToken;
        var host = _host ??= context.Engines.Open(hostEndpoint);
        if (_daemon is { } daemon && CacheVolumeStop.IsOnCacheVolume(daemon, sessionId))
        {
            _daemonClient?.Dispose();
            _daemonClient = null;
            await new CacheVolumeStop(host, context.Engines.Open, context.Log).StopAsync(sessionId, daemon).ConfigureAwait(false);
        }

        // Before the private directory, which holds the builds' durations, goes with the rest.
        var snapshots = new BuildSnapshotStore(host, context.Log);
        var saved = _daemon is { BuildSnapshotMarker: { } marker } toSave && BuildSnapshotStore.ShouldSave(BuildDurations.Of(sessionId), context.Log)
            && await snapshots.SaveAsync(toSave, marker).ConfigureAwait(false);

        var removed = await new SessionTeardown(host, context.Log).TeardownAsync(sessionId, SessionNames.PrivateDirectory(sessionId)).ConfigureAwait(false);
        if (_daemon?.BuildSnapshotVolume is { } output)
        {
            await snapshots.FinishAsync(output, saved).ConfigureAwait(false);
        }

        return removed;
    }

    public async Task<string?> WhyGoneAsync(string sessionId, CancellationToken cancellationToken)
    {
        // Never provisions, and needs no version check: only whether anything labelled is left.
        var host = _host ?? context.Engines.Open(hostEndpoint);
        try
        {
            return await new SessionTeardown(host, context.Log).AnyLeftAsync(sessionId, cancellationToken).ConfigureAwait(false)
                ? null
                : SessionGone.NothingLeft(sessionId, hostEndpoint);
        }
        finally
        {
            if (!ReferenceEquals(host, _host))
            {
                host.Dispose();
            }
        }
    }

    public async Task<IReadOnlyList<string>> ReapAsync(TimeSpan? olderThan, CancellationToken cancellationToken) =>
        await new SessionReaper(await HostAsync(cancellationToken).ConfigureAwait(false), context.Log, context.Options).ReapAsync(olderThan, cancellationToken).ConfigureAwait(false);

    public Task<DindBuildException?> ExplainFailureAsync(string step, Exception failure) =>
        _host is null || _daemon is null ? Task.FromResult<DindBuildException?>(null) : new DaemonDeath(_host, _daemon, _continued, context.Log).ExplainAsync(step, failure);

    public async Task<string?> DaemonLogTailAsync()
    {
        if (_host is null || _daemon is null)
        {
            return null;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await Starter(_host).DaemonLogTailAsync(_daemon.ContainerId, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public ResourceSampler? StartSampling() =>
        _host is not null && _daemon is { ContainerId.Length: > 0 } ? ResourceSampler.Start(_host, _daemon.ContainerId, context.Log) : null;

    public ValueTask DisposeAsync()
    {
        _daemonClient?.Dispose();
        _host?.Dispose();
        _daemonClient = null;
        _host = null;
        return ValueTask.CompletedTask;
    }

    private static DockerEndpoint PrivateSocket(string sessionId) =>
        DockerEndpoint.UnixSocket(Path.Combine(SessionNames.PrivateDirectory(sessionId), "docker.sock"));

    private DindDaemonStarter Starter(IDockerEngine host) => new(host, context.Log, context.Engines.Open);

    private async Task<IDockerEngine> HostAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return _host!;
    }
}
