using DindBuild.Diagnostics;
using DindBuild.Provisioning;
using DindBuild.Reporting;
using DindBuild.Sessions;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Hosting;

/// <summary>
/// One build-tool process around a <see cref="DindSession"/>: each target is a call here. It adds
/// what a build tool needs and a library user may not want — provisioning of the host engine,
/// saved sessions for steps run as separate processes, CI groups and annotations, the run report —
/// and decides at the end whether the session is removed (a whole run) or kept for the next step.
/// </summary>
public sealed class BuildRun : IAsyncDisposable
{
    private readonly ILogger _log;
    private readonly bool _wholeRun;
    private readonly SavedSessions _saved;
    private readonly LiveSessions _live;
    private readonly SessionServices _services;
    private readonly RunReportWriter _report;
    private DindSession? _session;
    private bool _finished;

    /// <summary>
    /// <paramref name="wholeRun"/>: true for a run that ends with its session removed (DindTest, unless
    /// <c>--keep-daemon</c>); false for a single step, whose session is kept, saved, for the next step.
    /// </summary>
    public BuildRun(DindSettings settings, ILogger log, SecretMasker masker, bool wholeRun, Func<string, string?>? environment = null, CiOutput? ci = null)
    {
        Settings = settings;
        _log = log;
        _wholeRun = wholeRun;
        environment ??= Environment.GetEnvironmentVariable;
        ci ??= CiOutput.Detect(environment, Console.Out);
        _saved = new SavedSessions(SessionStore.ForRepository(settings.RepositoryRoot), environment, log);
        _report = new RunReportWriter(settings.HostArtifactsDirectory, ci, log);
        _services = new SessionServices
        {
            Listener = new SessionListeners(_saved, new CiStepListener(ci, masker, settings.RepositoryRoot)),
            Engines = new ProvisioningEngineConnector(log),
            Recipes = new RootfsImageBuilder(log),
            Environment = environment,
            Masker = masker,

            // A session that outlives this process is owned by "kept", so the reaper leaves it alone.
            Owner = KeepsSession ? ProcessOwner.Kept : ProcessOwner.Current,
        };
        _live = new LiveSessions(_saved, settings, log, _services);
    }

    public DindSettings Settings { get; }

    /// <summary>The session this process works on, once a target opened or continued one.</summary>
    public DindSession? Session => _session;

    /// <summary>Where <see cref="FinishAsync"/> writes the run report (<c>.html</c> and <c>.md</c>).</summary>
    public string ReportPathWithoutExtension => _report.PathWithoutExtension;

    private bool KeepsSession => !_wholeRun || Settings.KeepDaemon;

    /// <summary>
    /// Fails fast on bad input for what <paramref name="target"/> will do — a missing context or
    /// Dockerfile, an unknown target stage, an unwritable artifacts directory — before any daemon starts.
    /// </summary>
    public static void CheckInputs(DindSettings settings, string target, bool exclusive) =>
        InputChecks.ThrowIfInvalid(settings, InputScopeOf(target, exclusive));

    /// <summary>What a target needs of the inputs: its own step, plus the steps it runs first unless <c>--exclusive</c>.</summary>
    internal static InputCheckScope InputScopeOf(string target, bool exclusive)
    {
        var builds = exclusive ? ["BuildImage"] : new[] { "BuildImage", "RunTests", "ExportArtifacts", "PublishImage", "DindTest" };
        var exports = new[] { "RunTests", "ExportArtifacts", "PublishImage", "DindTest" };
        var scope = InputCheckScope.None;
        if (builds.Contains(target, StringComparer.OrdinalIgnoreCase))
        {
            scope |= InputCheckScope.Build;
        }

        if (exports.Contains(target, StringComparer.OrdinalIgnoreCase))
        {
            scope |= InputCheckScope.Artifacts;
        }

        return scope;
    }

    public async Task ProvisionEngineAsync(CancellationToken cancellationToken) => await (await NewOrCurrentAsync(cancellationToken).ConfigureAwait(false)).ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);

    public async Task PrepareImagesAsync(CancellationToken cancellationToken) => await (await NewOrCurrentAsync(cancellationToken).ConfigureAwait(false)).PrepareImagesAsync(cancellationToken).ConfigureAwait(false);

    public async Task StartDaemonAsync(CancellationToken cancellationToken) => await (await NewOrCurrentAsync(cancellationToken).ConfigureAwait(false)).StartDaemonAsync(cancellationToken).ConfigureAwait(false);

    public async Task WaitForDaemonAsync(CancellationToken cancellationToken) => await (await CurrentOrSavedAsync("WaitForDaemon", cancellationToken).ConfigureAwait(false)).WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);

    public async Task SeedImagesAsync(CancellationToken cancellationToken) => await (await CurrentOrSavedAsync("SeedImages", cancellationToken).ConfigureAwait(false)).SeedImagesAsync(cancellationToken).ConfigureAwait(false);

    public async Task BuildImageAsync(CancellationToken cancellationToken) => await (await CurrentOrSavedAsync("BuildImage", cancellationToken).ConfigureAwait(false)).BuildImageAsync(cancellationToken).ConfigureAwait(false);

    public async Task RunTestsAsync(CancellationToken cancellationToken) => await (await CurrentOrSavedAsync("RunTests", cancellationToken).ConfigureAwait(false)).RunTestsAsync(cancellationToken).ConfigureAwait(false);

    public async Task PublishImageAsync(CancellationToken cancellationToken) => await (await CurrentOrSavedAsync("PublishImage", cancellationToken).ConfigureAwait(false)).PublishImageAsync(cancellationToken).ConfigureAwait(false);

    public async Task ExportArtifactsAsync(CancellationToken cancellationToken) => await (await CurrentOrSavedAsync("ExportArtifacts", cancellationToken).ConfigureAwait(false)).ExportArtifactsAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The Teardown target: removes the session of this process, else the saved one named by
    /// <c>--session-id</c>, else every saved session of this checkout — an "always" step is there to
    /// leave nothing behind, and this checkout's sessions are its own pipeline's. A saved session
    /// whose resources are gone already is reported and forgotten, and no session at all is no
    /// error: state that no longer exists never fails the step. In a whole run with
    /// <c>--keep-daemon</c> the session is kept instead, as asked.
    /// </summary>
    public async Task TeardownAsync()
    {
        if (_wholeRun && Settings.KeepDaemon)
        {
            _log.Information("--keep-daemon: the session is kept, not torn down");
            return;
        }

        if (_session is not null)
        {
            await _session.TeardownAsync().ConfigureAwait(false);
            return;
        }

        var saved = Settings.SessionIdGiven
            ? await _live.TryLoadAsync(Settings.SessionId, CancellationToken.None).ConfigureAwait(false) is { } named ? [named] : []
            : RunningElsewhere(await _live.AllAsync(CancellationToken.None).ConfigureAwait(false));
        if (saved.Count == 0)
        {
            _log.Information("No session to tear down{Which}", Settings.SessionIdGiven ? $" (none saved as {Settings.SessionId} in {_saved.Store.Directory})" : "");
            return;
        }

        if (saved.Count > 1)
        {
            _log.Information("Tearing down all {Count} saved sessions of this checkout: {Sessions}", saved.Count, string.Join(", ", saved.Select(state => state.SessionId)));
        }

        await SavedTeardown.EachAsync(saved, state => DindSession.Continue(state, Settings, _log, _services), last => _session = last).ConfigureAwait(false);
    }

    /// <summary>
    /// The saved sessions an unnamed Teardown may take: not one a live other build process is running right now (a
    /// DindTest of this checkout in another terminal or CI job saves its state as it goes). Named with
    /// <c>--session-id</c>, a session is torn down whoever runs it.
    /// </summary>
    private List<SessionState> RunningElsewhere(IReadOnlyList<SessionState> saved)
    {
        var free = new List<SessionState>();
        foreach (var state in saved)
        {
            if (state.RunningElsewhere() is { } process)
            {
                _log.Information("Session {Session} is being run by another build (process {Owner}): left alone; './build.sh Teardown --session-id {Session}' removes it anyway", state.SessionId, process, state.SessionId);
                continue;
            }

            free.Add(state);
        }

        return free;
    }

    /// <summary>
    /// The Reap target: removes the sessions whose owner process is gone, and those older than
    /// <c>--reap-older-than</c>; then forgets this checkout's saved sessions that nothing is left of.
    /// </summary>
    public async Task ReapAsync(CancellationToken cancellationToken)
    {
        // A session of its own, never started: it only lends the mode's engine to the reaper.
        await using (var reaper = DindSession.Create(Settings, _log, _services))
        {
            await reaper.ReapAsync(Settings.ReapOlderThan, cancellationToken).ConfigureAwait(false);
        }

        // A run killed before it created anything left a saved state and nothing labelled to reap.
        await _live.AllAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// End of the build process. A whole run removes its session unless <c>--keep-daemon</c>; a
    /// single step keeps it, saved, with its daemon answering and a docker context for the CLI.
    /// The report is written either way.
    /// </summary>
    public async Task FinishAsync()
    {
        if (_finished || _session is not { } session)
        {
            return;
        }

        _finished = true;
        try
        {
            if (!session.IsOpen)
            {
                return;
            }

            if (!KeepsSession)
            {
                await session.TeardownAsync().ConfigureAwait(false);
                return;
            }

            using (var timeout = new CancellationTokenSource(Settings.DaemonStartTimeout + TimeSpan.FromSeconds(5)))
            {
                await session.KeepAsync(timeout.Token).ConfigureAwait(false);
            }

            if (session.OwnDaemonEndpoint is { } daemon)
            {
                _saved.SaveDockerContext(session.Id, daemon);
            }

            _log.Warning(
                "Keeping session {Session} for later steps (environment in {EnvironmentFile}); remove it with: ./build.sh Teardown --session-id {Session}",
                session.Id,
                _saved.Store.EnvironmentFileOf(session.Id),
                session.Id);
            foreach (var (name, value) in session.ClientEnvironment())
            {
                _log.Information("  {Name}={Value}", name, value);
            }
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
            if (session.WasOpened)
            {
                _report.Write(session.Report());
            }
        }
    }

    /// <summary>The per-step duration table, for the end of a run.</summary>
    public void LogSummary()
    {
        if (_session is not { Timings.Count: > 0 } session)
        {
            return;
        }

        _log.Information("Step durations (session {Session}):", session.Id);
        foreach (var timing in session.Timings)
        {
            _log.Information("  {Step,-16} {Seconds,8:0.000} s  {Outcome}", timing.Step, timing.Duration.TotalSeconds, timing.Outcome);
        }
    }

    public ValueTask DisposeAsync() => new(FinishAsync());

    /// <summary>
    /// The session of this process; else the saved session named by <c>--session-id</c> (a target run
    /// with its dependencies after StartDaemon continues it instead of starting a second one), unless
    /// it is gone; else a new one.
    /// </summary>
    private async Task<DindSession> NewOrCurrentAsync(CancellationToken cancellationToken) =>
        _session ??= Settings.SessionIdGiven && await _live.TryLoadAsync(Settings.SessionId, cancellationToken).ConfigureAwait(false) is { } saved
            ? DindSession.Continue(saved, Settings, _log, _services)
            : DindSession.Create(Settings, _log, _services);

    /// <summary>The session of this process, else the one an earlier step saved (by id, or the only live one).</summary>
    private async Task<DindSession> CurrentOrSavedAsync(string step, CancellationToken cancellationToken) =>
        _session ??= DindSession.Continue(await _live.ForStepAsync(step, cancellationToken).ConfigureAwait(false), Settings, _log, _services);
}
