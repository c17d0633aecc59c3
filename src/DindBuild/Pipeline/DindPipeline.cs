using System.Diagnostics;
using DindBuild.Artifacts;
using DindBuild.Build;
using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Images;
using DindBuild.Provisioning;
using DindBuild.Settings;
using DindBuild.Testing;
using Serilog;

namespace DindBuild.Pipeline;

/// <summary>
/// The Docker-in-Docker lifecycle of one session, one method per build target. State lives here,
/// so the targets of one build process share it; teardown is safe to call at any point, any number of times.
/// </summary>
public sealed class DindPipeline : IAsyncDisposable
{
    private static readonly TimeSpan TeardownTimeout = TimeSpan.FromMinutes(3);

    private readonly ILogger _log;
    private readonly Func<string, string?> _environment;
    private readonly List<StepTiming> _timings = [];
    private readonly RootfsImageBuilder _recipes;
    private IDockerEngine? _host;
    private IDockerEngine? _inner;
    private bool _tornDown;

    public DindPipeline(DindSettings settings, ILogger log, Func<string, string?>? environment = null)
    {
        Settings = settings;
        _log = log;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _recipes = new RootfsImageBuilder(log);
    }

    public DindSettings Settings { get; }

    public string SessionId => Settings.SessionId;

    public DindDaemon? Daemon { get; private set; }

    public ImageSummary? BuiltImage { get; private set; }

    public TestRunResult? TestResult { get; private set; }

    public ExtractionResult? ExportedArtifacts { get; private set; }

    public IReadOnlyList<StepTiming> Timings => _timings;

    /// <summary>Makes sure the host engine answers (installing and starting one if this process may) and logs its version.</summary>
    public Task ProvisionEngineAsync(CancellationToken cancellationToken) => _host is not null ? Task.CompletedTask : StepAsync("ProvisionEngine", async () =>
    {
        var endpoint = await new HostEngineProvisioner(_log, _environment).EnsureAsync(cancellationToken).ConfigureAwait(false);
        var host = DockerEngine.Connect(endpoint);
        var version = await RequireSupportedAsync(host, "host engine", cancellationToken).ConfigureAwait(false);
        _log.Information("Host engine at {Endpoint}: {Version}", endpoint, version);
        _host = host;
    });

    /// <summary>Builds the images this machine cannot pull (the DinD image, the sample's base) ahead of a run.</summary>
    public Task PrepareImagesAsync(CancellationToken cancellationToken) => StepAsync("PrepareImages", async () =>
    {
        await ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
        await new DindImageResolver(_host!, _recipes, _log).ResolveAsync(Settings.DindImage, cancellationToken).ConfigureAwait(false);
        foreach (var image in DockerfileImages())
        {
            if (ImageRecipe.ForImage(image) is { } recipe)
            {
                await _recipes.EnsureAsync(_host!, recipe, cancellationToken).ConfigureAwait(false);
            }
        }
    });

    public Task StartDaemonAsync(CancellationToken cancellationToken) => StepAsync("StartDaemon", async () =>
    {
        var mode = ResolveMode();
        if (mode != DockerMode.Dind)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"Docker mode '{mode.ToString().ToLowerInvariant()}' is not available in this version of DindBuild; only 'dind' is.",
                Settings.DockerMode == DockerMode.Auto ? "'auto' chose 'external' because DOCKER_HOST is set." : null,
                Settings.DockerMode == DockerMode.Auto ? "unset DOCKER_HOST or pass '--docker-mode dind'." : "pass '--docker-mode dind'.");
        }

        if (Daemon is not null)
        {
            return;
        }

        await ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
        _log.Information("Session {Session}: resources are labelled {Label}={Session}", SessionId, SessionLabels.Session, SessionId);
        var image = await new DindImageResolver(_host!, _recipes, _log).ResolveAsync(Settings.DindImage, cancellationToken).ConfigureAwait(false);
        Daemon = await new DindDaemonStarter(_host!, _log).StartAsync(SessionId, image, Settings.PrivilegeProfile, cancellationToken).ConfigureAwait(false);
    });

    public Task WaitForDaemonAsync(CancellationToken cancellationToken) => StepAsync("WaitForDaemon", async () =>
    {
        var daemon = RequireDaemon("WaitForDaemon");
        if (_inner is not null)
        {
            return;
        }

        var inner = await new DindDaemonStarter(_host!, _log).WaitUntilReadyAsync(daemon, Settings.DaemonStartTimeout, cancellationToken).ConfigureAwait(false);
        _inner = inner;
        var version = await RequireSupportedAsync(inner, "DinD daemon", cancellationToken).ConfigureAwait(false);
        var info = await inner.System.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        _log.Information("DinD daemon: {Version}, storage driver {Driver}, cgroup v{Cgroup}", version, info.StorageDriver, info.CgroupVersion);
    });

    public Task SeedImagesAsync(CancellationToken cancellationToken) => StepAsync("SeedImages", async () =>
    {
        var inner = RequireInner("SeedImages");
        var images = DockerfileImages();
        _log.Information("The Dockerfile needs {Images}", images.Count == 0 ? "no base images" : string.Join(", ", images));
        await new ImageSeeder(_host!, inner, _recipes, _log).SeedAsync(images, cancellationToken).ConfigureAwait(false);
    });

    public Task BuildImageAsync(CancellationToken cancellationToken) => StepAsync("BuildImage", async () =>
    {
        var inner = RequireInner("BuildImage");
        var spec = new ImageBuildSpec(Settings.ImageTag, Settings.Dockerfile)
        {
            BuildArgs = Settings.BuildArgs,
            TargetStage = Settings.TargetStage,
            Labels = SessionLabels.For(SessionId, "image"),
        };
        BuiltImage = await new ImageBuilder(inner, _log).BuildAsync(Settings.ContextDirectory, spec, cancellationToken).ConfigureAwait(false);
    });

    /// <summary>Runs the tests; throws <see cref="FailureKind.TestsFailed"/> after recording the result, so export can still run.</summary>
    public Task RunTestsAsync(CancellationToken cancellationToken) => StepAsync("RunTests", async () =>
    {
        var inner = RequireInner("RunTests");
        var image = BuiltImage?.Id ?? throw new DindBuildException(FailureKind.BadParameters, "RunTests needs the image built by BuildImage in the same run.", null, "run './build.sh RunTests' without '--exclusive', so BuildImage runs first.");
        var request = new TestRunRequest(SessionId, image, Settings.TestCommand, Settings.TestEnvironment, $"dindbuild-{SessionId}-artifacts", Settings.ContainerArtifactsPath, Settings.TestTimeout);
        var result = await new TestRunner(inner, _log).RunAsync(request, cancellationToken).ConfigureAwait(false);
        TestResult = result;
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

    /// <summary>Copies the artifacts volume to the host; runs once per run even when called again (e.g. after failed tests).</summary>
    public Task ExportArtifactsAsync(CancellationToken cancellationToken) => StepAsync("ExportArtifacts", async () =>
    {
        var inner = RequireInner("ExportArtifacts");
        if (ExportedArtifacts is not null)
        {
            return;
        }

        if (TestResult is null)
        {
            _log.Warning("No test container ran in this run: nothing to export");
            return;
        }

        ExportedArtifacts = await new ArtifactExporter(inner, _log)
            .ExportAsync(TestResult.ContainerId, Settings.ContainerArtifactsPath, Settings.HostArtifactsDirectory, Settings.ArtifactsMaxBytes, cancellationToken)
            .ConfigureAwait(false);
    });

    /// <summary>
    /// Removes every resource labelled with this session, unless keep-daemon is set. Uses its own
    /// time limit, never the run's cancellation: it is what must still happen after a Ctrl+C.
    /// </summary>
    public Task TeardownAsync() => _tornDown || (_host is null && Daemon is null) ? Task.CompletedTask : StepAsync("Teardown", async () =>
    {
        _inner?.Dispose();
        _inner = null;
        if (Settings.KeepDaemon && Daemon is not null)
        {
            _log.Warning(
                "Keeping the DinD daemon {Container} (--keep-daemon): DOCKER_HOST={Endpoint}. Remove it with: docker rm -f {Container} && docker volume rm {Volume}",
                Daemon.ContainerName,
                Daemon.Endpoint.DockerHost,
                Daemon.ContainerName,
                Daemon.DataVolume);
            _tornDown = true;
            return;
        }

        using var timeout = new CancellationTokenSource(TeardownTimeout);
        var host = _host ?? throw new InvalidOperationException("a daemon was started without a host engine");
        var removed = await new SessionTeardown(host, _log).TeardownAsync(SessionId, Daemon?.SocketDirectory ?? Path.Combine(Path.GetTempPath(), $"dindbuild-{SessionId}")).ConfigureAwait(false);
        _tornDown = true;
        _log.Information("Teardown removed {Count} resource(s) of session {Session}", removed, SessionId);
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            await TeardownAsync().ConfigureAwait(false);
        }
        finally
        {
            _host?.Dispose();
            _host = null;
        }
    }

    private DockerMode ResolveMode() => Settings.DockerMode switch
    {
        DockerMode.Auto => string.IsNullOrEmpty(_environment("DOCKER_HOST")) ? DockerMode.Dind : DockerMode.External,
        var explicitMode => explicitMode,
    };

    private IReadOnlyList<string> DockerfileImages()
    {
        var path = Settings.DockerfilePath;
        return File.Exists(path) ? DockerfileBaseImages.Parse(File.ReadAllText(path), Settings.BuildArgs) : [];
    }

    private DindDaemon RequireDaemon(string step) => Daemon ?? throw new DindBuildException(
        FailureKind.BadParameters,
        $"{step} needs a DinD daemon, and none was started in this run.",
        null,
        $"run './build.sh {step}' without '--exclusive', so that StartDaemon runs first.");

    private IDockerEngine RequireInner(string step)
    {
        RequireDaemon(step);
        return _inner ?? throw new DindBuildException(
            FailureKind.BadParameters,
            $"{step} needs a ready DinD daemon; WaitForDaemon did not run in this run.",
            null,
            $"run './build.sh {step}' without '--exclusive'.");
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
        var clock = Stopwatch.StartNew();
        var outcome = "ok";
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        catch (DindBuildException ex)
        {
            outcome = ex.Kind.ToString();
            throw;
        }
        catch (Exception)
        {
            outcome = "failed";
            throw;
        }
        finally
        {
            // Steps that call other steps (PrepareImages → ProvisionEngine) record each once, innermost first.
            _timings.Add(new StepTiming(step, clock.Elapsed, outcome));
        }
    }
}
