namespace DindBuild.Docker;

/// <summary>One Docker engine, reached at <see cref="Endpoint"/>; the small surface DindBuild needs.</summary>
public interface IDockerEngine : IDisposable
{
    DockerEndpoint Endpoint { get; }

    IDockerSystem System { get; }

    IDockerContainers Containers { get; }

    IDockerImages Images { get; }

    IDockerVolumes Volumes { get; }

    IDockerNetworks Networks { get; }
}

public interface IDockerSystem
{
    /// <summary><c>curl --unix-socket … /_ping</c>: throws when the API does not answer OK.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary><c>docker version</c> (server part).</summary>
    Task<EngineVersion> GetVersionAsync(CancellationToken cancellationToken);

    /// <summary><c>docker info</c>.</summary>
    Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken);
}

public interface IDockerContainers
{
    /// <summary><c>docker create</c>; returns the container id.</summary>
    Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken);

    /// <summary><c>docker start</c>.</summary>
    Task StartAsync(string id, CancellationToken cancellationToken);

    /// <summary><c>docker wait</c>: the exit code once the container stops.</summary>
    Task<long> WaitAsync(string id, CancellationToken cancellationToken);

    /// <summary><c>docker kill</c>; a container that is not running is not an error.</summary>
    Task KillAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// <c>docker stop --time N</c>: SIGTERM, then SIGKILL once <paramref name="grace"/> is over; returns when the container
    /// has stopped. A container that is not running, or is gone, is not an error.
    /// </summary>
    Task StopAsync(string id, TimeSpan grace, CancellationToken cancellationToken);

    /// <summary><c>docker rm --force --volumes</c>; a container already gone is not an error.</summary>
    Task RemoveAsync(string id, CancellationToken cancellationToken);

    /// <summary><c>docker inspect</c>; null when no such container exists.</summary>
    Task<ContainerStatus?> InspectAsync(string id, CancellationToken cancellationToken);

    /// <summary><c>docker logs --follow</c>: each output line (stdout and stderr) until the container stops.</summary>
    Task FollowLogsAsync(string id, Action<string> onLine, CancellationToken cancellationToken);

    /// <summary><c>docker logs</c>: each output line (stdout and stderr) written so far; ends at once, also for a running container.</summary>
    Task ReadLogsAsync(string id, Action<string> onLine, CancellationToken cancellationToken);

    /// <summary>
    /// <c>docker exec ID COMMAND…</c> (no TTY, no stdin) as root: each output line to <paramref name="onLine"/> (true: from
    /// stderr) until the command ends; returns its exit code. Cancelling stops reading, not the process.
    /// </summary>
    Task<long> ExecAsync(string id, IReadOnlyList<string> command, Action<string, bool> onLine, CancellationToken cancellationToken);

    /// <summary><c>docker logs --tail N</c>, stdout and stderr interleaved.</summary>
    Task<string> GetLogTailAsync(string id, int lines, CancellationToken cancellationToken);

    /// <summary>
    /// <c>docker stats ID</c>: one sample about every second, computed as the CLI does (CPU % of the
    /// host's CPUs, memory without the page cache), until the container stops or the token is cancelled.
    /// </summary>
    Task StreamStatsAsync(string id, Action<ResourceSample> onSample, CancellationToken cancellationToken);

    /// <summary><c>docker cp ID:PATH -</c>: a tar stream whose entries start with PATH's base name; null when the container or the path does not exist.</summary>
    Task<Stream?> GetArchiveAsync(string id, string path, CancellationToken cancellationToken);

    /// <summary><c>docker cp - ID:DIR</c>: extracts a tar stream into an existing directory.</summary>
    Task PutArchiveAsync(string id, string directory, Stream tar, CancellationToken cancellationToken);

    /// <summary><c>docker ps --all --quiet --filter label=KEY=VALUE</c>.</summary>
    Task<IReadOnlyList<string>> ListIdsByLabelAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary><c>docker ps --quiet --filter volume=NAME</c>: running containers that mount the volume.</summary>
    Task<IReadOnlyList<string>> ListRunningUsingVolumeAsync(string volume, CancellationToken cancellationToken);

    /// <summary><c>docker ps --all --filter label=KEY</c>, with each container's labels.</summary>
    Task<IReadOnlyList<LabelledResource>> ListWithLabelAsync(string key, CancellationToken cancellationToken);
}

public interface IDockerImages
{
    /// <summary><c>docker image inspect</c>; null when the image is not present.</summary>
    Task<ImageSummary?> InspectAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>docker pull</c>; throws with the registry's error when it fails.</summary>
    Task PullAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// <c>docker build -</c> with a tar context, by the builder <see cref="ImageBuildSpec.Builder"/> names (BuildKit:
    /// <c>POST /build?version=2</c>, no client session); messages arrive in order, synchronously.
    /// </summary>
    Task BuildAsync(ImageBuildSpec spec, Stream context, Action<ProgressMessage> onMessage, CancellationToken cancellationToken);

    /// <summary><c>docker save NAME</c> as a stream.</summary>
    Task<Stream> SaveAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>docker load</c>; throws when the stream's error messages say it failed.</summary>
    Task LoadAsync(Stream imageTar, CancellationToken cancellationToken);

    /// <summary><c>docker tag SOURCE TARGET</c>.</summary>
    Task TagAsync(string source, string target, CancellationToken cancellationToken);

    /// <summary>
    /// <c>docker push NAME</c> with these credentials (none: anonymous); <paramref name="onStatus"/> gets each progress
    /// line as the registry's answers come (hostile text: escape before showing). Returns the pushed manifest's digest;
    /// throws <see cref="DockerOperationException"/> with the registry's error when the push fails.
    /// </summary>
    Task<string?> PushAsync(string name, Settings.RegistryCredential? credential, Action<PushStatus> onStatus, CancellationToken cancellationToken);

    /// <summary><c>docker import --change … - NAME</c> from a root filesystem tar.</summary>
    Task ImportAsync(Stream rootfsTar, string name, IReadOnlyList<string> changes, CancellationToken cancellationToken);

    /// <summary><c>docker image rm ID</c> (never forced): false when the image is already gone or still used by a container or another tag; other failures throw.</summary>
    Task<bool> RemoveAsync(string nameOrId, CancellationToken cancellationToken);
}

public interface IDockerVolumes
{
    /// <summary><c>docker volume create --label …</c>.</summary>
    Task CreateAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary><c>docker volume rm --force</c>; a volume already gone is not an error.</summary>
    Task RemoveAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>docker volume inspect</c>: whether the volume exists.</summary>
    Task<bool> ExistsAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>docker volume ls --quiet --filter label=KEY=VALUE</c>.</summary>
    Task<IReadOnlyList<string>> ListNamesByLabelAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary><c>docker volume ls --filter label=KEY</c>, with each volume's labels.</summary>
    Task<IReadOnlyList<LabelledResource>> ListWithLabelAsync(string key, CancellationToken cancellationToken);
}

public interface IDockerNetworks
{
    /// <summary><c>docker network create --label …</c>; returns the network id.</summary>
    Task<string> CreateAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary><c>docker network rm</c>; a network already gone is not an error.</summary>
    Task RemoveAsync(string id, CancellationToken cancellationToken);

    /// <summary><c>docker network ls --quiet --filter label=KEY=VALUE</c>.</summary>
    Task<IReadOnlyList<string>> ListIdsByLabelAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary><c>docker network ls --filter label=KEY</c>, with each network's labels.</summary>
    Task<IReadOnlyList<LabelledResource>> ListWithLabelAsync(string key, CancellationToken cancellationToken);
}

/// <summary>A container, volume or network and its labels.</summary>
public sealed record LabelledResource(string Id, IReadOnlyDictionary<string, string> Labels);
