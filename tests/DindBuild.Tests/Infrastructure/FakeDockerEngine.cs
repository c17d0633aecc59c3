using DindBuild.Docker;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// An in-memory engine holding labelled containers, volumes and networks, for the logic that only
/// lists and removes them. Operations a test does not expect throw.
/// </summary>
internal sealed class FakeDockerEngine : IDockerEngine, IDockerContainers, IDockerVolumes, IDockerNetworks
{
    public List<(string Id, string Session)> ContainerList { get; } = [];

    public List<(string Name, string Session)> VolumeList { get; } = [];

    public List<(string Id, string Session)> NetworkList { get; } = [];

    /// <summary>Ids or names whose removal fails, as a busy or broken engine would.</summary>
    public HashSet<string> FailingRemovals { get; } = [];

    public List<string> RemovalOrder { get; } = [];

    /// <summary>Called with each id or name just before it is removed.</summary>
    public Action<string>? BeforeRemoval { get; set; }

    /// <summary>Extra labels (owner, created) by resource id or name.</summary>
    public Dictionary<string, Dictionary<string, string>> ExtraLabels { get; } = [];

    public DockerEndpoint Endpoint { get; } = DockerEndpoint.UnixSocket("/fake/docker.sock");

    public IDockerSystem System => throw new NotSupportedException();

    public IDockerContainers Containers => this;

    public IDockerImages Images => throw new NotSupportedException();

    public IDockerVolumes Volumes => this;

    public IDockerNetworks Networks => this;

    public void Dispose()
    {
    }

    Task<IReadOnlyList<string>> IDockerContainers.ListIdsByLabelAsync(string key, string value, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(ContainerList.Where(c => c.Session == value).Select(c => c.Id).ToList());

    Task IDockerContainers.RemoveAsync(string id, CancellationToken cancellationToken) => Remove(id, () => ContainerList.RemoveAll(c => c.Id == id));

    Task<IReadOnlyList<string>> IDockerVolumes.ListNamesByLabelAsync(string key, string value, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(VolumeList.Where(v => v.Session == value).Select(v => v.Name).ToList());

    Task IDockerVolumes.RemoveAsync(string name, CancellationToken cancellationToken) => Remove(name, () => VolumeList.RemoveAll(v => v.Name == name));

    Task<IReadOnlyList<string>> IDockerNetworks.ListIdsByLabelAsync(string key, string value, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(NetworkList.Where(n => n.Session == value).Select(n => n.Id).ToList());

    Task IDockerNetworks.RemoveAsync(string id, CancellationToken cancellationToken) => Remove(id, () => NetworkList.RemoveAll(n => n.Id == id));

    Task<IReadOnlyList<LabelledResource>> IDockerContainers.ListWithLabelAsync(string key, CancellationToken cancellationToken) => Labelled(ContainerList);

    Task<IReadOnlyList<LabelledResource>> IDockerVolumes.ListWithLabelAsync(string key, CancellationToken cancellationToken) => Labelled(VolumeList);

    Task<IReadOnlyList<LabelledResource>> IDockerNetworks.ListWithLabelAsync(string key, CancellationToken cancellationToken) => Labelled(NetworkList);

    Task<IReadOnlyList<string>> IDockerContainers.ListRunningUsingVolumeAsync(string volume, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task<bool> IDockerVolumes.ExistsAsync(string name, CancellationToken cancellationToken) => Task.FromResult(VolumeList.Any(v => v.Name == name));

    Task<string> IDockerContainers.CreateAsync(ContainerSpec spec, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task<long> IDockerContainers.ExecAsync(string id, IReadOnlyList<string> command, Action<string, bool> onLine, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task IDockerContainers.StartAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task<long> IDockerContainers.WaitAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task IDockerContainers.KillAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task IDockerContainers.StopAsync(string id, TimeSpan grace, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task<ContainerStatus?> IDockerContainers.InspectAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task IDockerContainers.FollowLogsAsync(string id, Action<string> onLine, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task IDockerContainers.ReadLogsAsync(string id, Action<string> onLine, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task<string> IDockerContainers.GetLogTailAsync(string id, int lines, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task IDockerContainers.StreamStatsAsync(string id, Action<ResourceSample> onSample, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task<Stream?> IDockerContainers.GetArchiveAsync(string id, string path, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task IDockerContainers.PutArchiveAsync(string id, string directory, Stream tar, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task IDockerVolumes.CreateAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) => throw new NotSupportedException();

    Task<string> IDockerNetworks.CreateAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) => throw new NotSupportedException();

    private Task<IReadOnlyList<LabelledResource>> Labelled(List<(string Id, string Session)> resources) =>
        Task.FromResult<IReadOnlyList<LabelledResource>>(resources.Select(resource =>
        {
            var labels = new Dictionary<string, string> { ["org.dindbuild.session"] = resource.Session };
            foreach (var (key, value) in ExtraLabels.GetValueOrDefault(resource.Id) ?? [])
            {
                labels[key] = value;
            }

            return new LabelledResource(resource.Id, labels);
        }).ToList());

    private Task Remove(string what, Action remove)
    {
        BeforeRemoval?.Invoke(what);
        RemovalOrder.Add(what);
        if (FailingRemovals.Contains(what))
        {
            throw new InvalidOperationException($"{what} is busy");
        }

        remove();
        return Task.CompletedTask;
    }
}
