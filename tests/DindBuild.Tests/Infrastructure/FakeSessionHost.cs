using DindBuild.Dind;
using DindBuild.Sessions;
using DindBuild.Settings;
using Serilog.Core;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Tells what a session reported, as one line per event: <c>start STEP</c>, <c>finish STEP OUTCOME</c>, <c>state MODE</c>, <c>removed ID</c>.</summary>
internal sealed class RecordingListener : SessionListener
{
    public List<string> Events { get; } = [];

    public List<SessionState> States { get; } = [];

    public override void StepStarting(string step) => Events.Add($"start {step}");

    public override void StepFinished(string step, TimeSpan duration, string outcome, Exception? failure) => Events.Add($"finish {step} {outcome}");

    public override void StateChanged(SessionState state)
    {
        States.Add(state);
        Events.Add($"state {state.Mode}");
    }

    public override void SessionRemoved(string sessionId) => Events.Add($"removed {sessionId}");
}

/// <summary>
/// A build host for unit tests of <see cref="DindSession"/>: a repository with a one-line
/// Dockerfile, fake engines, a recording listener and an empty environment, and a fresh session id
/// whose private directory is removed afterwards. Each "process" is a session made from it.
/// </summary>
internal sealed class FakeSessionHost : IDisposable
{
    /// <summary>The host engine's socket (dind's resource engine, dood's daemon); never the real default socket.</summary>
    public const string HostSocket = "unix:///fake/host.sock";

    private readonly TempDirectory _repository = new("dindbuild-unit");

    public FakeSessionHost()
    {
        Directory.CreateDirectory(_repository.Combine("context"));
        File.WriteAllText(_repository.Combine("context", "Dockerfile"), "FROM scratch\n");
    }

    public string SessionId { get; } = "u" + Guid.NewGuid().ToString("N")[..11];

    public FakeEngines Engines { get; } = new();

    public RecordingListener Listener { get; } = new();

    /// <summary>DOCKER_HOST and the like, as this host's environment has them.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public string ArtifactsDirectory => _repository.Combine("artifacts");

    public string PrivateDirectory => SessionNames.PrivateDirectory(SessionId);

    public DindSettings Options(DockerMode mode = DockerMode.Auto) => new DindSettings(_repository.Path)
    {
        SessionId = SessionId,
        SessionIdGiven = true,
        DockerMode = mode,
        DockerSocket = new Uri(HostSocket).AbsolutePath,
        TestCommand = "true",
        TestReportRequired = false,
    }.WithContextDirectory(_repository.Combine("context")).WithHostArtifactsDirectory(ArtifactsDirectory);

    public SessionServices Services() => new()
    {
        Engines = Engines,
        Listener = Listener,
        Environment = name => Environment.GetValueOrDefault(name),
    };

    public DindSession Create(DockerMode mode) => DindSession.Create(Options(mode), Logger.None, Services());

    public DindSession Continue(SessionState saved, DockerMode mode = DockerMode.Auto) => DindSession.Continue(saved, Options(mode), Logger.None, Services());

    public DindSession Continue(SessionState saved, DindSettings options, Serilog.ILogger log) => DindSession.Continue(saved, options, log, Services());

    /// <summary>A session an earlier process started in <paramref name="mode"/> at <paramref name="dockerHost"/>, its image built.</summary>
    public SessionState Saved(DockerMode mode, string dockerHost) => new(SessionId, mode, dockerHost, null) { BuiltImageId = "sha256:built" };

    /// <summary>
    /// A dind session an earlier process started: its DinD container, network and data volume on the
    /// host engine, its daemon answering at the private socket (a file in the private directory).
    /// </summary>
    public (SessionState Saved, FakeEngine Host, FakeEngine Daemon, FakeContainer DindContainer) SavedDind()
    {
        var host = Engines.Add(HostSocket);
        var container = host.AddContainer(SessionNames.DindContainer(SessionId), SessionId);
        container.Log = "dockerd: fatal: out of memory";
        host.AddVolume(SessionNames.DataVolume(SessionId), SessionId);
        var network = host.AddNetwork(SessionId);
        Directory.CreateDirectory(PrivateDirectory);
        var daemon = new DindDaemon(container.Id, container.Name, DindSettings.DefaultDindImage, PrivilegeProfile.Privileged, SessionNames.DataVolume(SessionId), PrivateDirectory, network);
        File.WriteAllText(daemon.SocketEndpoint.UnixSocketPath!, "");
        var inner = Engines.Add(daemon.Endpoint);
        var saved = new SessionState(SessionId, DockerMode.Dind, daemon.Endpoint.DockerHost, null)
        {
            Daemon = daemon,
            ResourceEngineHost = HostSocket,
            BuiltImageId = "sha256:built",
        };
        return (saved, host, inner, container);
    }

    /// <summary>What a session's steps leave on an engine: its test container, artifacts volume and a network.</summary>
    public void AddSessionResources(FakeEngine engine, string? sessionId = null)
    {
        var id = sessionId ?? SessionId;
        engine.AddContainer(SessionNames.TestContainer(id), id, running: false);
        engine.AddVolume(SessionNames.ArtifactsVolume(id), id);
        engine.AddNetwork(id);
    }

    public void Dispose()
    {
        _repository.Dispose();
        if (Directory.Exists(PrivateDirectory))
        {
            Directory.Delete(PrivateDirectory, recursive: true);
        }
    }
}
