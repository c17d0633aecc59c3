using System.Collections.Immutable;
using System.Formats.Tar;
using System.Text;
using DindBuild.Docker;
using DindBuild.Sessions;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// An in-memory engine: labelled containers, volumes, networks and images, a journal of every call
/// (shared with the other engines of a <see cref="FakeEngines"/>), and a failure to inject per
/// operation. Pull finds only <see cref="Pullable"/> images; save and load move images as manifest-only archives.
/// </summary>
internal sealed partial class FakeEngine(DockerEndpoint endpoint, List<EngineCall>? journal = null)
    : IDockerEngine, IDockerSystem, IDockerContainers, IDockerImages, IDockerVolumes, IDockerNetworks
{
    private readonly List<EngineCall> _journal = journal ?? [];
    private readonly List<FakeContainer> _containers = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _volumes = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _networks = [];
    private readonly Dictionary<string, ImageSummary> _images = [];
    private int _nextId;

    public DockerEndpoint Endpoint { get; } = endpoint;

    public IReadOnlyList<FakeContainer> ContainerList => _containers;

    public IReadOnlyCollection<string> VolumeNames => _volumes.Keys;

    public IReadOnlyCollection<string> NetworkIds => _networks.Keys;

    /// <summary>The exception an operation (e.g. <c>container.create</c>, <c>image.build</c>) throws instead of working; the function may change state first.</summary>
    public Dictionary<string, Func<Exception>> Failures { get; } = [];

    /// <summary>Called with each container's spec as it is created, before the create succeeds; an exception it returns fails the create.</summary>
    public Func<ContainerSpec, Exception?>? OnCreate { get; set; }

    /// <summary>What <c>docker info</c> says the daemon's ID is: another one means another daemon (an engine reset, another service).</summary>
    public string DaemonId { get; set; } = "FAKE";

    public string ServerVersion { get; set; } = "28.5.1";

    public string KernelVersion { get; set; } = "6.1.0-fake";

    /// <summary>The images <c>docker import</c> made, by name.</summary>
    public List<string> Imported { get; } = [];

    /// <summary>The exit code the next <c>docker wait</c> reports (the tests' outcome).</summary>
    public long TestExitCode { get; set; }

    /// <summary>What <c>docker stats CONTAINER</c> streams, by container id, before the stream ends as a stopped container's does.</summary>
    public Dictionary<string, IReadOnlyList<ResourceSample>> Stats { get; } = [];

    /// <summary>What <c>docker logs CONTAINER</c> returns, by container id (one line, "test output", for any other).</summary>
    public Dictionary<string, IReadOnlyList<string>> Logs { get; } = [];

    /// <summary>How many of those lines a follow delivers before its stream ends (all when null): a follow answered late and cut.</summary>
    public int? FollowedLines { get; set; }

    /// <summary>The files <c>docker cp CONTAINER:PATH -</c> returns under PATH.</summary>
    public Dictionary<string, string> ArchiveFiles { get; } = new() { ["report.txt"] = "ok" };

    /// <summary>This engine's calls, in order.</summary>
    public IReadOnlyList<EngineCall> Calls
    {
        get
        {
            lock (_journal)
            {
                return [.. _journal.Where(call => call.Engine == Endpoint.DockerHost)];
            }
        }
    }

    IDockerSystem IDockerEngine.System => this;

    IDockerContainers IDockerEngine.Containers => this;

    IDockerImages IDockerEngine.Images => this;

    IDockerVolumes IDockerEngine.Volumes => this;

    IDockerNetworks IDockerEngine.Networks => this;

    public int Count(string operation) => Calls.Count(call => call.Operation == operation);

    public FakeContainer AddContainer(string name, string sessionId, bool running = true)
    {
        var container = new FakeContainer(NewId(), name, Labels(sessionId)) { Running = running };
        _containers.Add(container);
        return container;
    }

    /// <summary>A container with exactly these labels (no session's), stopped.</summary>
    public FakeContainer AddContainer(string name, IReadOnlyDictionary<string, string> labels)
    {
        var container = new FakeContainer(NewId(), name, labels);
        _containers.Add(container);
        return container;
    }

    public void AddVolume(string name, string sessionId) => _volumes[name] = Labels(sessionId);

    public string AddNetwork(string sessionId)
    {
        var id = NewId();
        _networks[id] = Labels(sessionId);
        return id;
    }

    /// <summary>Every container, volume and network labelled with the session.</summary>
    public IReadOnlyList<string> ResourcesOf(string sessionId) =>
    [
        .. _containers.Where(c => c.Labels.GetValueOrDefault(SessionLabels.Session) == sessionId).Select(c => c.Name),
        .. _volumes.Where(v => v.Value.GetValueOrDefault(SessionLabels.Session) == sessionId).Select(v => v.Key),
        .. _networks.Where(n => n.Value.GetValueOrDefault(SessionLabels.Session) == sessionId).Select(n => n.Key),
    ];

    public void Dispose()
    {
    }

    Task IDockerSystem.PingAsync(CancellationToken cancellationToken) => Call("ping", "");

    async Task<EngineVersion> IDockerSystem.GetVersionAsync(CancellationToken cancellationToken)
    {
        await Call("version", "");
        return new EngineVersion(ServerVersion, "1.51", "1.24", "linux", "amd64");
    }

    async Task<EngineInfo> IDockerSystem.GetInfoAsync(CancellationToken cancellationToken)
    {
        await Call("info", "");
        return new EngineInfo(DaemonId, "fake", "overlay2", "2", "/var/lib/docker", "Fake Linux") { KernelVersion = KernelVersion };
    }

    async Task IDockerContainers.StartAsync(string id, CancellationToken cancellationToken)
    {
        await Call("container.start", id);
        Require(id).Running = true;
    }

    async Task<long> IDockerContainers.WaitAsync(string id, CancellationToken cancellationToken)
    {
        await Call("container.wait", id);
        var container = Require(id);
        if (container.Running)
        {
            container.Exit(TestExitCode);
        }

        return container.ExitCode;
    }

    async Task IDockerContainers.KillAsync(string id, CancellationToken cancellationToken)
    {
        await Call("container.kill", id);
        Find(id)?.Exit(137);
    }

    async Task IDockerContainers.StopAsync(string id, TimeSpan grace, CancellationToken cancellationToken)
    {
        await Call("container.stop", id);
        Find(id)?.Exit(0);
    }

    async Task IDockerContainers.RemoveAsync(string id, CancellationToken cancellationToken)
    {
        await Call("container.remove", id);
        if (Find(id) is { } container)
        {
            _containers.Remove(container);
        }
    }

    async Task<ContainerStatus?> IDockerContainers.InspectAsync(string id, CancellationToken cancellationToken)
    {
        await Call("container.inspect", id);
        return Find(id)?.Status;
    }

    async Task IDockerContainers.FollowLogsAsync(string id, Action<string> onLine, CancellationToken cancellationToken)
    {
        await Call("container.logs", id);
        var lines = Logs.GetValueOrDefault(id) ?? ["test output"];
        foreach (var line in lines.Take(FollowedLines ?? lines.Count))
        {
            onLine(line);
        }
    }

    async Task IDockerContainers.ReadLogsAsync(string id, Action<string> onLine, CancellationToken cancellationToken)
    {
        await Call("container.logs", id);
        foreach (var line in Logs.GetValueOrDefault(id) ?? ["test output"])
        {
            onLine(line);
        }
    }

    async Task<string> IDockerContainers.GetLogTailAsync(string id, int lines, CancellationToken cancellationToken)
    {
        await Call("container.logtail", id);
        return Require(id).Log;
    }

    Task IDockerContainers.StreamStatsAsync(string id, Action<ResourceSample> onSample, CancellationToken cancellationToken)
    {
        foreach (var sample in Stats.GetValueOrDefault(id) ?? [])
        {
            onSample(sample);
        }

        return Task.CompletedTask;
    }

    /// <summary>The text of a single file that <c>docker cp CONTAINER:PATH</c> gives for that container (its mounts say which volume); null: the default archive.</summary>
    public Func<FakeContainer, string, string?>? FileText { get; set; }

    async Task<Stream?> IDockerContainers.GetArchiveAsync(string id, string path, CancellationToken cancellationToken)
    {
        await Call("container.archive", $"{id}:{path}");
        if (Find(id) is not { } container)
        {
            return null;
        }

        return FileText?.Invoke(container, path) is { } text ? SingleFileTar.Of(Path.GetFileName(path), text) : Tar(Path.GetFileName(path.TrimEnd('/')));
    }

    async Task IDockerContainers.PutArchiveAsync(string id, string directory, Stream tar, CancellationToken cancellationToken)
    {
        await Call("container.putarchive", $"{id}:{directory}");
        Require(id);
        await tar.CopyToAsync(Stream.Null, cancellationToken);
    }

    /// <summary>What <c>docker exec</c> prints and returns: the command in, its exit code and stdout lines out; none: exit 0, no output.</summary>
    public Func<IReadOnlyList<string>, (long ExitCode, IReadOnlyList<string> Output)>? OnExec { get; set; }

    async Task<long> IDockerContainers.ExecAsync(string id, IReadOnlyList<string> command, Action<string, bool> onLine, CancellationToken cancellationToken)
    {
        await Call("container.exec", string.Join(' ', command));
        var (exitCode, output) = OnExec?.Invoke(command) ?? (0, []);
        foreach (var line in output)
        {
            onLine(line, false);
        }

        return exitCode;
    }

    Task<IReadOnlyList<string>> IDockerContainers.ListIdsByLabelAsync(string key, string value, CancellationToken cancellationToken) =>
        List("container.list", [.. _containers.Where(c => c.Labels.GetValueOrDefault(key) == value).Select(c => c.Id)]);

    Task<IReadOnlyList<string>> IDockerContainers.ListRunningUsingVolumeAsync(string volume, CancellationToken cancellationToken) =>
        List("container.list", [.. _containers.Where(c => c.Running && c.Volumes.Contains(volume)).Select(c => c.Id)]);

    Task<IReadOnlyList<LabelledResource>> IDockerContainers.ListWithLabelAsync(string key, CancellationToken cancellationToken) =>
        List<LabelledResource>("container.list", [.. _containers.Where(c => c.Labels.ContainsKey(key)).Select(c => new LabelledResource(c.Id, c.Labels))]);

    async Task IDockerVolumes.CreateAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        await Call("volume.create", name);
        _volumes[name] = labels;
    }

    async Task IDockerVolumes.RemoveAsync(string name, CancellationToken cancellationToken)
    {
        await Call("volume.remove", name);
        _volumes.Remove(name);
    }

    Task<bool> IDockerVolumes.ExistsAsync(string name, CancellationToken cancellationToken) => Task.FromResult(_volumes.ContainsKey(name));

    Task<IReadOnlyList<string>> IDockerVolumes.ListNamesByLabelAsync(string key, string value, CancellationToken cancellationToken) =>
        List("volume.list", [.. _volumes.Where(v => v.Value.GetValueOrDefault(key) == value).Select(v => v.Key)]);

    Task<IReadOnlyList<LabelledResource>> IDockerVolumes.ListWithLabelAsync(string key, CancellationToken cancellationToken) =>
        List<LabelledResource>("volume.list", [.. _volumes.Where(v => v.Value.ContainsKey(key)).Select(v => new LabelledResource(v.Key, v.Value))]);

    async Task<string> IDockerNetworks.CreateAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        await Call("network.create", name);
        var id = NewId();
        _networks[id] = labels;
        return id;
    }

    async Task IDockerNetworks.RemoveAsync(string id, CancellationToken cancellationToken)
    {
        await Call("network.remove", id);
        _networks.Remove(id);
    }

    Task<IReadOnlyList<string>> IDockerNetworks.ListIdsByLabelAsync(string key, string value, CancellationToken cancellationToken) =>
        List("network.list", [.. _networks.Where(n => n.Value.GetValueOrDefault(key) == value).Select(n => n.Key)]);

    Task<IReadOnlyList<LabelledResource>> IDockerNetworks.ListWithLabelAsync(string key, CancellationToken cancellationToken) =>
        List<LabelledResource>("network.list", [.. _networks.Where(n => n.Value.ContainsKey(key)).Select(n => new LabelledResource(n.Key, n.Value))]);

    /// <summary>Labels as a session's resources carry them; owned by <see cref="ProcessOwner.Kept"/>, so no reaper takes them.</summary>
    private static ImmutableDictionary<string, string> Labels(string sessionId) => SessionLabels.For(sessionId, "fake", ProcessOwner.Kept);

    private string NewId() => $"{Interlocked.Increment(ref _nextId):x4}{Guid.NewGuid():N}";

    private FakeContainer? Find(string idOrName) => _containers.Find(c => c.Id == idOrName || c.Name == idOrName);

    private FakeContainer Require(string idOrName) =>
        Find(idOrName) ?? throw new DockerOperationException("docker container", $"No such container: {idOrName}");

    private Task Call(string operation, string target)
    {
        lock (_journal)
        {
            _journal.Add(new EngineCall(Endpoint.DockerHost, operation, target));
        }

        return Failures.TryGetValue(operation, out var failure) ? Task.FromException(failure()) : Task.CompletedTask;
    }

    private async Task<IReadOnlyList<T>> List<T>(string operation, IReadOnlyList<T> found)
    {
        await Call(operation, "");
        return found;
    }

    private MemoryStream Tar(string root)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, root + "/"));
            foreach (var (file, text) in ArchiveFiles)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{root}/{file}") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
            }
        }

        stream.Position = 0;
        return stream;
    }
}
