using DindBuild.Artifacts;
using DindBuild.ImageBuild;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Modes;
using DindBuild.Reporting;
using DindBuild.Settings;
using DindBuild.Testing;
using Serilog;

namespace DindBuild.Sessions;

/// <summary>
/// One DindBuild session: a daemon to build and test in (<see cref="IDaemonMode"/> decides which),
/// and one method per lifecycle step — the files in <c>Sessions/Steps/</c>. Made from immutable
/// options; a session saved by an earlier process is continued with <see cref="Continue"/>.
/// Disposing it removes everything it created, unless <see cref="KeepAsync"/> kept it for later.
/// </summary>
/// <example>
/// <code>
/// await using var session = DindSession.Create(new DindSettings(repositoryRoot), log);
/// await session.StartDaemonAsync(ct); await session.WaitForDaemonAsync(ct); await session.SeedImagesAsync(ct);
/// await session.BuildImageAsync(ct); await session.RunTestsAsync(ct); await session.ExportArtifactsAsync(ct);
/// </code>
/// </example>
public sealed partial class DindSession : IAsyncDisposable
{
    private readonly IDaemonMode _mode;
    private readonly ILogger _log;
    private readonly SessionServices _services;
    private readonly StepRecorder _steps;
    private readonly RunHistory _earlier;
    private SessionState _state;
    private IDockerEngine? _daemon;
    private ResourceSampler? _sampler;
    private IReadOnlyList<ResourceSample> _samples = [];
    private bool _connected;
    private bool _opened;
    private bool _kept;
    private bool _removed;
    private bool _teardownTried;
    private bool _disposed;

    private DindSession(DindSettings options, IDaemonMode mode, SessionState state, ILogger log, SessionServices services, bool continued)
    {
        Options = options;
        _mode = mode;
        _log = log;
        _services = services;
        foreach (var secret in options.Secrets)
        {
            services.Masker.Add(secret);
        }

        _state = state;
        _earlier = state.History;
        _opened = continued;
        _steps = new StepRecorder(mode, services.Listener, services.Masker) { AfterStep = Save };
    }

    public DindSettings Options { get; }

    public string Id => _state.SessionId;

    /// <summary>The mode in use (<c>auto</c> resolved; for a continued session, the one it was started in).</summary>
    public DockerMode Mode => _mode.Kind;

    /// <summary>What a later process needs to continue this session, and what its steps produced so far.</summary>
    public SessionState State => _state;

    /// <summary>True once StartDaemon opened the session (or it was continued): there is something to tear down.</summary>
    public bool IsOpen => _opened && !_removed;

    /// <summary>True once the session was opened in this process or an earlier one, even if it is torn down now: there is something to report.</summary>
    public bool WasOpened => _opened;

    public TestRunResult? TestResult { get; private set; }

    public ExtractionResult? ExportedArtifacts { get; private set; }

    public IReadOnlyList<StepTiming> Timings => _steps.Timings;

    /// <summary>A new session, in the mode the options ask for (<c>auto</c>: external when DOCKER_HOST is set, else dind).</summary>
    public static DindSession Create(DindSettings options, ILogger log, SessionServices? services = null)
    {
        services ??= new SessionServices();
        var mode = DaemonModes.ForNewSession(ContextFor(options, log, services));
        return new DindSession(options, mode, new SessionState(options.SessionId, mode.Kind, "", null) { Owner = services.Owner }, log, services, continued: false);
    }

    /// <summary>
    /// Continues a session saved by an earlier process, in the mode it was started in; an explicit
    /// different <c>--docker-mode</c> in <paramref name="options"/> is an error that says so.
    /// </summary>
    public static DindSession Continue(SessionState saved, DindSettings options, ILogger log, SessionServices? services = null)
    {
        services ??= new SessionServices();
        var mode = DaemonModes.ForSavedSession(saved, ContextFor(options, log, services));
        log.Information("Continuing session {Session} ({Mode}) at {Endpoint}", saved.SessionId, DaemonModes.Name(saved.Mode), saved.DockerHost);
        return new DindSession(options, mode, saved, log, services, continued: true);
    }

    /// <summary>
    /// Why a saved session is gone, or null while it is not: nothing labelled with it is left on the
    /// engine that holds its resources (another checkout's reaper, a hand or an engine reset removed
    /// them), or, in dood and external, the daemon at its endpoint is another one now — so no step can
    /// continue it. Never provisions an engine. Throws when that engine cannot be asked.
    /// </summary>
    public static async Task<string?> WhyGoneAsync(SessionState saved, DindSettings options, ILogger log, SessionServices? services, CancellationToken cancellationToken)
    {
        // The mode it was saved in, whatever this process was asked for: a mismatch is the step's error, not this check's.
        var mode = DaemonModes.ForSavedSession(saved, ContextFor(options with { DockerMode = DockerMode.Auto }, log, services ?? new SessionServices()));
        await using (mode.ConfigureAwait(false))
        {
            return await mode.WhyGoneAsync(saved.SessionId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The environment with which the docker CLI, or any client, reaches the session daemon.</summary>
    public IReadOnlyDictionary<string, string> ClientEnvironment() => _state.ClientEnvironment();

    /// <summary>The endpoint a kept daemon is reached at from the docker CLI, where the session owns a daemon (dind).</summary>
    public DockerEndpoint? OwnDaemonEndpoint => _mode.KeptDaemonEndpoint;

    /// <summary>Every step of this session so far, this process's included, with its samples and facts.</summary>
    public RunHistory History() => _earlier.Then(_steps.History([.. _samples, .. _sampler?.Samples ?? []]));

    /// <summary>What the report shows of this session: its id and mode, every step of every process, the image it built.</summary>
    public RunReport Report() => new(Id, DaemonModes.Name(Mode), History())
    {
        ImageTag = _state.BuiltImageTag,
        ImageId = _state.BuiltImageId,
        ImageSizeBytes = _state.BuiltImageSize,
        SamplesNote = _mode.SamplesNote,
    };

    /// <summary>
    /// Leaves the session's resources in place for a later process: the daemon answers when this
    /// returns (so a printed DOCKER_HOST works at once), and the state is saved.
    /// </summary>
    public async Task KeepAsync(CancellationToken cancellationToken)
    {
        if (!IsOpen)
        {
            return;
        }

        _kept = true;
        await DaemonAsync(cancellationToken).ConfigureAwait(false);
        Save();
    }

    /// <summary>Removes the session's resources unless it was kept; closes every client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (IsOpen && !_kept && !_teardownTried)
            {
                await TeardownAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await StopSamplingAsync().ConfigureAwait(false);
            _daemon = null;
            await _mode.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static ModeContext ContextFor(DindSettings options, ILogger log, SessionServices services) =>
        new(options, log, services.Engines ?? new EngineConnector(log), services.Environment) { Recipes = services.Recipes };

    private Task StepAsync(string step, Func<Task> action) => _steps.RunAsync(step, action);

    /// <summary>The session daemon, waited for once per process; the daemon's container is sampled from then on.</summary>
    private async Task<IDockerEngine> DaemonAsync(CancellationToken cancellationToken)
    {
        if (_daemon is null)
        {
            _daemon = await _mode.DaemonAsync(cancellationToken).ConfigureAwait(false);
            _sampler ??= _mode.StartSampling();
        }

        return _daemon;
    }

    private void RequireOpen(string step)
    {
        if (!IsOpen)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"{step} needs a started session, and session {Id} {(_removed ? "was torn down" : "was not started")}.",
                null,
                "run StartDaemon first (or the target without '--exclusive', so its dependencies run).");
        }
    }

    /// <summary>The state, with the mode's part and the history so far, to the listener (saved sessions).</summary>
    private void Save()
    {
        if (!_opened || _removed)
        {
            return;
        }

        _state = _mode.Record(_state) with { History = History() };
        _services.Listener.StateChanged(_state);
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

    /// <summary>The images the build pulls; with BuildKit those of the stages the target needs, and the <c># syntax=</c> frontend.</summary>
    private IReadOnlyList<string> DockerfileImages(BuilderKind? builder = null) => Images.RunImages.FromDockerfile(Options, builder);
}
