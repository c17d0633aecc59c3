using System.Diagnostics;
using DindBuild.Artifacts;
using DindBuild.Build;
using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Images;
using DindBuild.Provisioning;
using DindBuild.Readiness;
using DindBuild.Reporting;
using DindBuild.Settings;
using DindBuild.Testing;
using Serilog;

namespace DindBuild.Pipeline;

/// <summary>
/// The lifecycle of one session, one method per build target, in any of the three modes:
/// <c>dind</c> (a private daemon in a container), <c>dood</c> (the host's daemon through its socket)
/// and <c>external</c> (a daemon someone else started). Targets of one process share this object;
/// targets run as separate processes share the session through <see cref="SessionStore"/>.
/// </summary>
public sealed class DindPipeline : IAsyncDisposable
{
    private const string DaemonSocketInContainers = "/var/run/docker.sock";

    /// <summary>GitHub shows at most 10 error annotations per step; one goes to the step's own failure.</summary>
    private const int MaxTestAnnotations = 9;

    private readonly ILogger _log;
    private readonly Func<string, string?> _environment;
    private readonly List<StepTiming> _timings = [];
    private readonly RootfsImageBuilder _recipes;
    private readonly SessionStore _store;
    private readonly SecretMasker _masker;
    private readonly bool _wholeRun;
    private readonly string _owner;
    private readonly CiOutput _ci;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _stepDepth;
    private RunHistory _earlier = RunHistory.Empty;
    private RunHistory _seen = RunHistory.Empty;
    private ResourceSampler? _sampler;
    private List<ResourceSample> _samples = [];
    private bool _sessionSeen;
    private IDockerEngine? _host;
    private IDockerEngine? _target;
    private SessionState? _state;
    private bool _finished;

    /// <summary>
    /// <c>wholeRun</c>: true for a run that ends with its session removed (DindTest); false for a single
    /// step, whose session is kept, saved, for the next step — and owned by "kept", so the reaper leaves it alone.
    /// </summary>
    public DindPipeline(DindSettings settings, ILogger log, Func<string, string?>? environment = null, SecretMasker? masker = null, bool wholeRun = true, CiOutput? ci = null)
    {
        Settings = settings;
        _wholeRun = wholeRun;
        _owner = wholeRun && !settings.KeepDaemon ? ProcessOwner.Current : ProcessOwner.Kept;
        _log = log;
        _masker = masker ?? new SecretMasker();
        foreach (var secret in settings.Secrets)
        {
            _masker.Add(secret);
        }

        _environment = environment ?? Environment.GetEnvironmentVariable;
        _ci = ci ?? CiOutput.Detect(_environment, Console.Out);
        _recipes = new RootfsImageBuilder(log);
        _store = SessionStore.ForRepository(settings.RepositoryRoot);
        Mode = settings.DockerMode switch
        {
            DockerMode.Auto => string.IsNullOrEmpty(_environment("DOCKER_HOST")) ? DockerMode.Dind : DockerMode.External,
            var explicitMode => explicitMode,
        };
    }

    public DindSettings Settings { get; }

    /// <summary>The mode in use: <see cref="DockerMode.Auto"/> resolved (external when DOCKER_HOST is set, else dind).</summary>
    public DockerMode Mode { get; }

    public string SessionId => _state?.SessionId ?? Settings.SessionId;

    public DindDaemon? Daemon => _state?.Daemon;

    /// <summary>The engine builds and tests run on: the private daemon (dind), the host's (dood) or the external one.</summary>
    public DockerEndpoint? SessionEndpoint => _target?.Endpoint;

    public ImageSummary? BuiltImage { get; private set; }

    public TestRunResult? TestResult { get; private set; }

    public ExtractionResult? ExportedArtifacts { get; private set; }

    public IReadOnlyList<StepTiming> Timings => _timings;

    /// <summary>The docker CLI context a kept DinD session gets: <c>docker --context dindbuild-ID …</c>.</summary>
    public static string DockerContextNameOf(string sessionId) => $"dindbuild-{sessionId}";

    /// <summary>Where <see cref="FinishAsync"/> writes the run report (<c>.html</c> and <c>.md</c>).</summary>
    public string ReportPathWithoutExtension => Path.Combine(Settings.HostArtifactsDirectory, "dindbuild-report");

    /// <summary>Makes sure the engine this mode talks to answers, provisioning a local one where that is allowed.</summary>
    public Task ProvisionEngineAsync(CancellationToken cancellationToken) => _host is not null || _target is not null ? Task.CompletedTask : StepAsync("ProvisionEngine", async () =>
    {
        switch (Mode)
        {
            case DockerMode.Dind:
                _host = await ConnectHostAsync(DockerEndpoint.FromEnvironment(_environment), "host engine", cancellationToken).ConfigureAwait(false);
                break;
            case DockerMode.Dood:
                _host = await ConnectHostAsync(DockerEndpoint.UnixSocket(Settings.DockerSocket), "host engine (dood)", cancellationToken).ConfigureAwait(false);
                break;
            default:
                var endpoint = await ResolveExternalAsync(cancellationToken).ConfigureAwait(false);
                _target = await ConnectAsync(endpoint, "external engine", cancellationToken).ConfigureAwait(false);
                break;
        }
    });

    /// <summary>Builds the images this machine cannot pull (the DinD image, the sample's base) ahead of a run.</summary>
    public Task PrepareImagesAsync(CancellationToken cancellationToken) => StepAsync("PrepareImages", async () =>
    {
        await ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
        var engine = _host ?? _target!;
        if (Mode == DockerMode.Dind)
        {
            await new DindImageResolver(engine, _recipes, _log).ResolveAsync(Settings.DindImage, cancellationToken).ConfigureAwait(false);
        }

        foreach (var recipe in DockerfileImages().Select(ImageRecipe.ForImage).OfType<ImageRecipe>())
        {
            await _recipes.EnsureAsync(engine, recipe, cancellationToken).ConfigureAwait(false);
        }
    });

    /// <summary>dind: starts the private daemon. dood and external: opens the session on the existing daemon.</summary>
    public Task StartDaemonAsync(CancellationToken cancellationToken) => _state is not null ? Task.CompletedTask : StepAsync("StartDaemon", async () =>
    {
        await ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
        _log.Information("Session {Session} ({Mode} mode): resources are labelled {Label}={Session}", SessionId, Mode.ToString().ToLowerInvariant(), SessionLabels.Session, SessionId);
        if (Mode != DockerMode.Dind)
        {
            var daemon = _host ?? _target!;
            _target = daemon;
            if (Mode == DockerMode.Dood)
            {
                _log.Warning("dood mode: builds and tests use the host's daemon at {Endpoint}; whatever can reach that socket is root on this host", daemon.Endpoint);
            }

            _state = NewState(daemon.Endpoint, daemon.Endpoint);
            SaveState();
            return;
        }

        await QuickReapAsync(_host!, cancellationToken).ConfigureAwait(false);
        var image = await new DindImageResolver(_host!, _recipes, _log).ResolveAsync(Settings.DindImage, cancellationToken).ConfigureAwait(false);

        // Saved before anything is created: a later Teardown step must find a half-started session too.
        _state = NewState(DindSocketEndpoint(SessionId), _host!.Endpoint);
        SaveState();
        var options = new DindOptions(Settings.Tls, Settings.TlsExtraNames, Settings.SysboxRuntime)
        {
            Owner = _owner,
            CacheVolume = Settings.CacheVolume,
            CacheWait = Settings.CacheWait,
            CacheFallbackToEphemeral = Settings.CacheBusyFallsBack,
            DaemonArguments = Settings.DaemonArguments,
            DataRootInMemory = Settings.DataRootInMemory,
        };
        var started = await new DindDaemonStarter(_host, _log).StartAsync(SessionId, image, Settings.PrivilegeProfile, options, cancellationToken).ConfigureAwait(false);
        _state = _state with { Daemon = started, DockerHost = started.Endpoint.DockerHost, TlsCertificateDirectory = started.Endpoint.TlsCertificateDirectory };
        _seen = _seen with { PrivilegeProfile = started.Profile.ToString().ToLowerInvariant() };
        SaveState();
        StartSampling();
    });

    public Task WaitForDaemonAsync(CancellationToken cancellationToken) => StepAsync("WaitForDaemon", async () =>
    {
        var target = await RequireTargetAsync("WaitForDaemon", cancellationToken).ConfigureAwait(false);
        var version = await RequireSupportedAsync(target, "session daemon", cancellationToken).ConfigureAwait(false);
        var info = await target.System.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        _seen = _seen with { DaemonVersion = $"Docker {version.Version} (API {version.ApiVersion})", StorageDriver = info.StorageDriver };
        _log.Information(
            "Session daemon ({Mode}) at {Endpoint}: {Version}, ID {Id}, storage driver {Driver}, cgroup v{Cgroup}",
            Mode.ToString().ToLowerInvariant(),
            target.Endpoint,
            version,
            info.Id,
            info.StorageDriver,
            info.CgroupVersion);
        PrintEnvironment();
    });

    public Task SeedImagesAsync(CancellationToken cancellationToken) => StepAsync("SeedImages", async () =>
    {
        var target = await RequireTargetAsync("SeedImages", cancellationToken).ConfigureAwait(false);
        var images = DockerfileImages();
        if (Mode == DockerMode.Dood)
        {
            _log.Information("dood mode: the build uses the host's images directly; nothing to seed");
            return;
        }

        var source = _host ?? await LocalEngineOrNullAsync(target, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            _log.Information("No local engine to seed {Images} from: the session daemon must have or pull them", string.Join(", ", images));
            return;
        }

        _log.Information("The Dockerfile needs {Images}", images.Count == 0 ? "no base images" : string.Join(", ", images));

        // Hundreds of megabytes: through the private socket, which needs no TLS, when there is one.
        using var bulk = _state?.Daemon is { } daemon ? DockerEngine.Connect(daemon.SocketEndpoint) : null;
        await new ImageSeeder(source, bulk ?? target, _recipes, _log).SeedAsync(images, cancellationToken).ConfigureAwait(false);
    });

    public Task BuildImageAsync(CancellationToken cancellationToken) => StepAsync("BuildImage", async () =>
    {
        var target = await RequireTargetAsync("BuildImage", cancellationToken).ConfigureAwait(false);
        var spec = new ImageBuildSpec(Settings.ImageTag, Settings.Dockerfile)
        {
            BuildArgs = Settings.BuildArgs,
            TargetStage = Settings.TargetStage,
            Labels = SessionLabels.For(SessionId, "image"),
            RegistryCredentials = Settings.RegistryCredentials,
        };
        BuiltImage = await new ImageBuilder(target, _log).BuildAsync(Settings.ContextDirectory, spec, cancellationToken).ConfigureAwait(false);
        _state = _state! with { BuiltImageId = BuiltImage.Id };
        SaveState();
    });

    /// <summary>Runs the tests; throws <see cref="FailureKind.TestsFailed"/> after recording the result, so export can still run.</summary>
    public Task RunTestsAsync(CancellationToken cancellationToken) => StepAsync("RunTests", async () =>
    {
        var target = await RequireTargetAsync("RunTests", cancellationToken).ConfigureAwait(false);
        var image = _state!.BuiltImageId ?? throw new DindBuildException(
            FailureKind.BadParameters,
            $"RunTests needs the image built by BuildImage in session {SessionId}, and none was built.",
            null,
            "run BuildImage first (or './build.sh RunTests' without '--exclusive').");
        var request = new TestRunRequest(SessionId, image, Settings.TestCommand, Settings.TestEnvironment, $"dindbuild-{SessionId}-artifacts", Settings.ContainerArtifactsPath, Settings.TestTimeout)
        {
            DaemonSocketSource = !Settings.MountDockerSocket ? null : Mode == DockerMode.Dood ? Settings.DockerSocket : DaemonSocketInContainers,
            DaemonSocketRequired = Mode != DockerMode.External,
            Owner = _owner,
        };
        var result = await new TestRunner(target, _log).RunAsync(request, cancellationToken).ConfigureAwait(false);
        TestResult = result;
        _state = _state with { TestContainerId = result.ContainerId, TestsPassed = result.Passed };
        SaveState();
        if (!result.Passed)
        {
            throw new DindBuildException(
                FailureKind.TestsFailed,
                result.TimedOut
                    ? $"The tests did not finish within {Settings.TestTimeout} and were killed."
                    : $"The tests failed: the test container exited with code {result.ExitCode}.",
                "test output (last lines):\n" + string.Join('\n', result.OutputTail),
                result.TimedOut
                    ? "raise '--test-timeout', or find the test that hangs."
                    : $"see the test report in {Settings.HostArtifactsDirectory} once artifacts are exported.");
        }

        _log.Information("Tests passed in {Seconds:0.0} s", result.Duration.TotalSeconds);
    });

    /// <summary>Copies the artifacts volume to the host; runs once per process even when called again (e.g. after failed tests).</summary>
    public Task ExportArtifactsAsync(CancellationToken cancellationToken) => ExportedArtifacts is not null ? Task.CompletedTask : StepAsync("ExportArtifacts", async () =>
    {
        var target = await RequireTargetAsync("ExportArtifacts", cancellationToken).ConfigureAwait(false);
        if (_state!.TestContainerId is not { } testContainer)
        {
            _log.Warning("No test container ran in session {Session}: nothing to export", SessionId);
            return;
        }

        ExportedArtifacts = await new ArtifactExporter(target, _log)
            .ExportAsync(testContainer, Settings.ContainerArtifactsPath, Settings.HostArtifactsDirectory, Settings.ArtifactsMaxBytes, cancellationToken)
            .ConfigureAwait(false);
        _seen = _seen with { Tests = TestReportSummary.FromDirectory(Settings.HostArtifactsDirectory) };
        foreach (var failingTest in _seen.Tests?.FailingTests.Take(MaxTestAnnotations) ?? [])
        {
            _ci.Failure("Test failed", failingTest);
        }
    });

    /// <summary>The Reap target: removes the sessions whose owner process is gone, and those older than <c>--reap-older-than</c>.</summary>
    public Task ReapAsync(CancellationToken cancellationToken) => StepAsync("Reap", async () =>
    {
        await ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
        var reaped = await new SessionReaper(_host ?? _target!, _log).ReapAsync(Settings.ReapOlderThan, cancellationToken).ConfigureAwait(false);
        foreach (var sessionId in reaped)
        {
            Forget(sessionId);
        }

        _log.Information("Reaped {Count} session(s)", reaped.Count);
    });

    /// <summary>
    /// The Teardown target: removes every resource labelled with the session (from this process or
    /// saved by an earlier one) and forgets the session. Never stops a daemon DindBuild did not start.
    /// </summary>
    public Task TeardownAsync() => StepAsync("Teardown", async () =>
    {
        if (_state is null && !TryLoadState())
        {
            _log.Information("No session to tear down");
            return;
        }

        await TearDownSessionAsync().ConfigureAwait(false);
    });

    /// <summary>
    /// End of a build process. A whole run (DindTest) removes its session unless keep-daemon is set;
    /// a single step keeps it, saved, for the next step.
    /// </summary>
    public async Task FinishAsync()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        try
        {
            if (_state is null)
            {
                return;
            }

            if (_wholeRun && !Settings.KeepDaemon)
            {
                await StepAsync("Teardown", TearDownSessionAsync).ConfigureAwait(false);
                return;
            }

            if (_target is null && _state.Daemon is not null)
            {
                // The printed DOCKER_HOST must work the moment this step ends, for other tools too.
                using var timeout = new CancellationTokenSource(Settings.DaemonStartTimeout + TimeSpan.FromSeconds(5));
                await RequireTargetAsync("StartDaemon", timeout.Token).ConfigureAwait(false);
            }

            SaveState();
            SaveDockerContext();
            _log.Warning(
                "Keeping session {Session} for later steps (environment in {EnvironmentFile}); remove it with: ./build.sh Teardown --session-id {Session}",
                SessionId,
                _store.EnvironmentFileOf(SessionId),
                SessionId);
            PrintEnvironment();
        }
        finally
        {
            await StopSamplingAsync().ConfigureAwait(false);
            if (!ReferenceEquals(_target, _host))
            {
                _target?.Dispose();
            }

            _host?.Dispose();
            _target = null;
            _host = null;
            WriteReport();
        }
    }

    /// <summary>What this session's build processes saw, this one included, for the reports and the CI summary.</summary>
    public RunReport Report() => new(SessionId, Mode.ToString().ToLowerInvariant(), History())
    {
        ImageTag = BuiltImage is null ? null : Settings.ImageTag,
        ImageId = BuiltImage?.Id,
        ImageSizeBytes = BuiltImage?.Size,
        SamplesNote = Mode == DockerMode.Dind ? "the DinD container did not run in this build process" : $"{Mode.ToString().ToLowerInvariant()} mode has no DinD container",
    };

    /// <summary>Earlier processes' history followed by this process's steps, samples and facts.</summary>
    private RunHistory History() => _earlier.Then(_seen with
    {
        Started = _started,
        Steps = [.. _timings.Select(timing => new RecordedStep(timing.Step, _started + timing.Start, timing.Duration, timing.Outcome))],
        Samples = [.. _samples, .. _sampler?.Samples ?? []],
    });

    /// <summary>The per-step duration table, for the end of a run.</summary>
    public void LogSummary()
    {
        if (_timings.Count == 0)
        {
            return;
        }

        _log.Information("Step durations (session {Session}):", SessionId);
        foreach (var timing in _timings)
        {
            _log.Information("  {Step,-16} {Seconds,8:0.000} s  {Outcome}", timing.Step, timing.Duration.TotalSeconds, timing.Outcome);
        }
    }

    public ValueTask DisposeAsync() => new(FinishAsync());

    /// <summary>Before a new daemon starts: what killed runs left behind goes first. Never fails the run.</summary>
    private async Task QuickReapAsync(IDockerEngine engine, CancellationToken cancellationToken)
    {
        try
        {
            var reaped = await new SessionReaper(engine, _log).ReapAsync(olderThan: null, cancellationToken).ConfigureAwait(false);
            foreach (var sessionId in reaped)
            {
                Forget(sessionId);
            }

            if (reaped.Count > 0)
            {
                _log.Information("Reaped {Count} session(s) left behind by killed runs", reaped.Count);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.Warning("Could not reap sessions left behind by killed runs: {Reason}", ex.Message);
        }
    }

    /// <summary>
    /// Forgets a session on this host: its saved state and its docker context. Its containers,
    /// volumes and networks are the teardown's or the reaper's.
    /// </summary>
    private void Forget(string sessionId)
    {
        _store.Delete(sessionId);
        try
        {
            if (DockerContextStore.FromEnvironment(_environment).Remove(DockerContextNameOf(sessionId)))
            {
                _log.Information("Removed docker context {Context}", DockerContextNameOf(sessionId));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Warning("Could not remove docker context {Context}: {Reason}", DockerContextNameOf(sessionId), ex.Message);
        }
    }

    /// <summary>A kept DinD daemon is usable as <c>docker --context dindbuild-ID</c>, like any other daemon the CLI knows.</summary>
    private void SaveDockerContext()
    {
        if (_state?.Daemon is not { } daemon)
        {
            return;
        }

        var name = DockerContextNameOf(_state.SessionId);
        var store = DockerContextStore.FromEnvironment(_environment);
        try
        {
            store.Save(name, daemon.Endpoint, $"DindBuild session {_state.SessionId} (removed by ./build.sh Teardown --session-id {_state.SessionId})");
            _log.Information("Docker context {Context} points at the kept daemon: docker --context {Context} ps", name, name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Warning("Could not create docker context {Context} in {Store}: {Reason}; the environment below still works", name, store.ConfigDirectory, ex.Message);
        }
    }

    private void StartSampling()
    {
        if (_sampler is null && _host is not null && _state?.Daemon is { } daemon)
        {
            _sampler = ResourceSampler.Start(_host, daemon.ContainerId, _log);
        }
    }

    private async Task StopSamplingAsync()
    {
        if (_sampler is { } sampler)
        {
            _sampler = null;
            await sampler.DisposeAsync().ConfigureAwait(false);
            _samples = [.. _samples, .. sampler.Samples];
        }
    }

    /// <summary>The HTML and Markdown reports, and the CI summary. Never fails the build: the run's own outcome matters more.</summary>
    private void WriteReport()
    {
        if (!_sessionSeen)
        {
            return;
        }

        var report = Report();
        var markdown = MarkdownRunReport.Render(report);
        try
        {
            Directory.CreateDirectory(Settings.HostArtifactsDirectory);
            File.WriteAllText(ReportPathWithoutExtension + ".html", HtmlRunReport.Render(report));
            File.WriteAllText(ReportPathWithoutExtension + ".md", markdown);
            _log.Information("Run report: {Report}.html (and .md)", ReportPathWithoutExtension);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Warning("Could not write the run report to {Directory}: {Reason}", Settings.HostArtifactsDirectory, ex.Message);
        }

        try
        {
            _ci.Summary(markdown);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Warning("Could not write the {Ci} job summary: {Reason}", _ci.Name, ex.Message);
        }
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    private SessionState NewState(DockerEndpoint daemon, DockerEndpoint resources) =>
        new(SessionId, Mode, daemon.DockerHost, daemon.TlsCertificateDirectory)
        {
            ResourceEngineHost = resources.DockerHost,
            ResourceEngineTlsDirectory = resources.TlsCertificateDirectory,
        };

    private static DockerEndpoint DindSocketEndpoint(string sessionId) =>
        DockerEndpoint.UnixSocket(Path.Combine(DindDaemon.SocketDirectoryFor(sessionId), "docker.sock"));

    private async Task TearDownSessionAsync()
    {
        var state = _state!;
        if (!ReferenceEquals(_target, _host))
        {
            _target?.Dispose();
        }

        _target = null;
        var resources = _host ?? DockerEngine.Connect(new DockerEndpoint(new Uri(state.ResourceEngineHost), state.ResourceEngineTlsDirectory));
        _host = resources;
        var socketDirectory = state.Mode == DockerMode.Dind ? DindDaemon.SocketDirectoryFor(state.SessionId) : null;
        await StopSamplingAsync().ConfigureAwait(false);
        var removed = await new SessionTeardown(resources, _log).TeardownAsync(state.SessionId, socketDirectory).ConfigureAwait(false);
        Forget(state.SessionId);
        _log.Information("Teardown removed {Count} resource(s) of session {Session}", removed, state.SessionId);
        _state = null;
    }

    private void SaveState()
    {
        if (_state is not null)
        {
            _store.Save(_state with { History = History() }, SessionEnvironment(_state));
            _sessionSeen = true;
        }
    }

    private static Dictionary<string, string> SessionEnvironment(SessionState state)
    {
        var environment = new DockerEndpoint(new Uri(state.DockerHost), state.TlsCertificateDirectory).ClientEnvironment();
        environment["DINDBUILD_SESSION_ID"] = state.SessionId;
        return environment;
    }

    private void PrintEnvironment()
    {
        if (_state is null)
        {
            return;
        }

        foreach (var (name, value) in SessionEnvironment(_state))
        {
            _log.Information("  {Name}={Value}", name, value);
        }
    }

    /// <summary>Takes over a session saved by an earlier build process, with what that process saw.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_state))]
    private void Continue(SessionState saved)
    {
        _state = saved;
        _earlier = saved.History;
        _sessionSeen = true;
    }

    private bool TryLoadState()
    {
        if (!Settings.SessionIdGiven && _store.SessionIds().Count == 0)
        {
            return false;
        }

        Continue(_store.Load(Settings.SessionIdGiven ? Settings.SessionId : null, "Teardown"));
        return true;
    }

    /// <summary>The session daemon, from this process or from a session saved by an earlier step.</summary>
    private async Task<IDockerEngine> RequireTargetAsync(string step, CancellationToken cancellationToken)
    {
        if (_state is null)
        {
            Continue(_store.Load(Settings.SessionIdGiven ? Settings.SessionId : null, step));
            if (_state.Mode != Mode && Settings.DockerMode != DockerMode.Auto)
            {
                throw new DindBuildException(
                    FailureKind.BadParameters,
                    $"Session {_state.SessionId} runs in {_state.Mode.ToString().ToLowerInvariant()} mode, not {Mode.ToString().ToLowerInvariant()}.",
                    null,
                    "pass the same '--docker-mode' to every step, or none.");
            }

            _log.Information("Continuing session {Session} ({Mode}) at {Endpoint}", _state.SessionId, _state.Mode.ToString().ToLowerInvariant(), _state.DockerHost);
        }

        if (_target is not null)
        {
            return _target;
        }

        var endpoint = new DockerEndpoint(new Uri(_state.DockerHost), _state.TlsCertificateDirectory);
        if (_state.Daemon is { } daemon)
        {
            _host ??= DockerEngine.Connect(new DockerEndpoint(new Uri(_state.ResourceEngineHost), _state.ResourceEngineTlsDirectory));
            _target = await new DindDaemonStarter(_host, _log).WaitUntilReadyAsync(daemon, Settings.DaemonStartTimeout, cancellationToken).ConfigureAwait(false);
            StartSampling();
        }
        else if (_state.Mode == DockerMode.Dind)
        {
            throw new DindBuildException(FailureKind.Infrastructure, $"Session {_state.SessionId} has no DinD daemon: StartDaemon did not finish.", null, "run './build.sh Teardown', then StartDaemon again.");
        }
        else
        {
            _target = await ConnectAsync(endpoint, "session daemon", cancellationToken).ConfigureAwait(false);
        }

        if (_state.BuiltImageId is { } imageId && BuiltImage is null)
        {
            BuiltImage = await _target.Images.InspectAsync(imageId, cancellationToken).ConfigureAwait(false);
        }

        return _target;
    }

    private async Task<IDockerEngine> ConnectHostAsync(DockerEndpoint endpoint, string role, CancellationToken cancellationToken)
    {
        var answering = await new HostEngineProvisioner(_log).EnsureAsync(endpoint, cancellationToken).ConfigureAwait(false);
        return await ConnectAsync(answering, role, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IDockerEngine> ConnectAsync(DockerEndpoint endpoint, string role, CancellationToken cancellationToken)
    {
        var engine = DockerEngine.Connect(endpoint);
        try
        {
            var version = await RequireSupportedAsync(engine, role, cancellationToken).ConfigureAwait(false);
            _log.Information("The {Role} at {Endpoint}: {Version}", role, endpoint, version);
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    private async Task<DockerEndpoint> ResolveExternalAsync(CancellationToken cancellationToken)
    {
        var candidates = new List<EndpointCandidate>();
        var notConfigured = new List<string>();
        if (!string.IsNullOrEmpty(_environment("DOCKER_HOST")))
        {
            candidates.Add(new EndpointCandidate(DockerEndpoint.FromEnvironment(_environment), "DOCKER_HOST"));
        }
        else
        {
            notConfigured.Add("DOCKER_HOST: not set");
        }

        var context = DockerContextReader.CurrentContext(_environment, out var contextName, out var contextProblem);
        if (context is not null)
        {
            candidates.Add(new EndpointCandidate(context, $"docker context '{contextName}'"));
        }
        else
        {
            notConfigured.Add(contextProblem ?? "docker context: none selected (DOCKER_CONTEXT unset, no currentContext in config.json)");
        }

        return await new EndpointResolver(_log).ResolveAsync(
            candidates,
            notConfigured,
            Settings.DaemonStartTimeout,
            "set DOCKER_HOST (with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH for TLS) or select a docker context, and make sure that daemon runs; with GitLab's docker:dind service that is DOCKER_HOST=tcp://docker:2376.",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>In external mode, a local engine to seed images from, when one answers and is not the session daemon itself.</summary>
    private async Task<IDockerEngine?> LocalEngineOrNullAsync(IDockerEngine target, CancellationToken cancellationToken)
    {
        var local = DockerEndpoint.DefaultUnixSocket;
        if (target.Endpoint == local || await EnginePing.TryAsync(local, cancellationToken).ConfigureAwait(false) is not null)
        {
            return null;
        }

        _host = DockerEngine.Connect(local);
        return _host;
    }

    private IReadOnlyList<string> DockerfileImages()
    {
        var path = Settings.DockerfilePath;
        return File.Exists(path) ? DockerfileBaseImages.Parse(File.ReadAllText(path), Settings.BuildArgs) : [];
    }

    private static async Task<EngineVersion> RequireSupportedAsync(IDockerEngine engine, string role, CancellationToken cancellationToken)
    {
        var version = await engine.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        if (!version.IsSupported)
        {
            throw new DindBuildException(
                FailureKind.Infrastructure,
                $"The {role} at {engine.Endpoint} speaks Engine API {version.ApiVersion}; DindBuild needs {EngineVersion.MinimumSupportedApi} or newer.",
                version.ToString(),
                "upgrade Docker to 20.10 or newer.");
        }

        return version;
    }

    private async Task StepAsync(string step, Func<Task> action)
    {
        var start = _clock.Elapsed;
        var outcome = StepTiming.Ok;
        var outermost = ++_stepDepth == 1;
        string? annotation = null;
        SourceLocation? annotationLocation = null;
        if (outermost)
        {
            // Nested steps (StartDaemon provisioning the engine) fold into the outer one: CI groups do not nest.
            _ci.BeginStep(step);
        }

        try
        {
            await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        catch (Exception ex)
        {
            var failure = await DaemonDeathAsync(step, ex).ConfigureAwait(false) ?? ex;
            outcome = failure is DindBuildException known ? known.Kind.ToString() : "failed";
            if (failure is DindBuildException shown && _masker.Reveals(shown.Message))
            {
                // Evidence quotes test and daemon output, which may echo a secret.
                failure = new DindBuildException(shown.Kind, _masker.Apply(shown.WhatFailed), shown.Evidence is null ? null : _masker.Apply(shown.Evidence), shown.HowToFix is null ? null : _masker.Apply(shown.HowToFix))
                {
                    Location = shown.Location,
                };
            }

            if (_seen.Failure is null)
            {
                var logTail = await DaemonLogTailOrNullAsync().ConfigureAwait(false);
                _seen = _seen with { Failure = _masker.Apply(failure.Message), FailedStep = step, DaemonLogTail = logTail is null ? null : _masker.Apply(logTail) };
            }

            annotation = outermost ? _masker.Apply(failure is DindBuildException described ? described.WhatFailed : failure.Message) : null;
            annotationLocation = (failure as DindBuildException)?.Location?.RelativeTo(Settings.RepositoryRoot);
            if (ReferenceEquals(failure, ex))
            {
                throw;
            }

            throw failure;
        }
        finally
        {
            _stepDepth--;
            _timings.Add(new StepTiming(step, start, _clock.Elapsed - start, outcome));
            if (outermost)
            {
                _ci.EndStep(step);
                if (annotation is not null)
                {
                    _ci.Failure($"DindBuild: {step} failed", annotation, annotationLocation);
                }
            }
        }
    }

    private async Task<string?> DaemonLogTailOrNullAsync()
    {
        if (_host is null || _state?.Daemon is not { } daemon)
        {
            return null;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await new DindDaemonStarter(_host, _log).DaemonLogTailAsync(daemon.ContainerId, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// A connection error in the middle of a step is, most often, the DinD container gone (killed,
    /// out of memory). Then the error says so, with its state and log, instead of a socket exception.
    /// </summary>
    private async Task<DindBuildException?> DaemonDeathAsync(string step, Exception failure)
    {
        // A failed build or test run may be the daemon's death in disguise (the stream just ended).
        if (failure is OperationCanceledException or DindBuildException { Kind: FailureKind.Infrastructure or FailureKind.BadParameters }
            || _host is null || _state?.Daemon is not { } daemon)
        {
            return null;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            // The connection breaks the moment dockerd dies; the engine marks the container exited a little later.
            var status = await _host.Containers.InspectAsync(daemon.ContainerId, timeout.Token).ConfigureAwait(false);
            var connectionBroke = Chain(failure).Any(inner => inner is IOException or HttpRequestException or System.Net.Sockets.SocketException);
            for (var poll = 0; connectionBroke && status is { Running: true } && poll < 30; poll++)
            {
                await Task.Delay(100, timeout.Token).ConfigureAwait(false);
                status = await _host.Containers.InspectAsync(daemon.ContainerId, timeout.Token).ConfigureAwait(false);
            }

            if (status is { Running: true })
            {
                return null;
            }

            var logs = status is null ? "(the container is gone)" : await new DindDaemonStarter(_host, _log).DaemonLogTailAsync(daemon.ContainerId, timeout.Token).ConfigureAwait(false);
            return new DindBuildException(
                FailureKind.Infrastructure,
                $"The DinD daemon stopped during {step}: its container {daemon.ContainerName} is {status?.Status ?? "gone"}{(status is null ? "" : $" (exit code {status.ExitCode}{(status.OomKilled ? ", killed for lack of memory" : "")})")}.",
                $"{failure.GetType().Name}: {failure.GetBaseException().Message}\ndaemon log (last lines):\n{logs}",
                "look for who stopped the container (docker events, the host's OOM killer); a retry usually passes.",
                failure);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }
}
