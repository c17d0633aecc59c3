// Just over 300 lines: the one adapter of IDockerContainers to Docker.DotNet, a short method per container call
// (create to archive); splitting it by call would scatter one interface over several files.
using System.Net;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace DindBuild.Docker;

internal sealed partial class DockerDotNetContainers(DockerClient client) : IDockerContainers
{
    public async Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        var parameters = new CreateContainerParameters
        {
            Image = spec.Image,
            Name = spec.Name!,
            Entrypoint = spec.Entrypoint?.ToList()!,
            Cmd = spec.Command?.ToList()!,
            Env = spec.Environment.ToList(),
            Labels = spec.Labels.ToDictionary(),
            WorkingDir = spec.WorkingDirectory!,
            Hostname = spec.Hostname!,
            ExposedPorts = spec.PublishedPorts.IsEmpty ? null! : spec.PublishedPorts.ToDictionary(port => $"{port.ContainerPort}/tcp", _ => default(EmptyStruct)),
            NetworkingConfig = spec.NetworkAliases.IsEmpty || spec.NetworkMode is null ? null! : new NetworkingConfig
            {
                EndpointsConfig = new Dictionary<string, EndpointSettings> { [spec.NetworkMode] = new() { Aliases = spec.NetworkAliases.ToList() } },
            },
            HostConfig = new HostConfig
            {
                Privileged = spec.Privileged,
                CapAdd = spec.CapabilitiesToAdd.IsEmpty ? null! : spec.CapabilitiesToAdd.ToList()!,
                CapDrop = spec.CapabilitiesToDrop.IsEmpty ? null! : spec.CapabilitiesToDrop.ToList()!,
                SecurityOpt = spec.SecurityOptions.IsEmpty ? null! : spec.SecurityOptions.ToList()!,
                NetworkMode = spec.NetworkMode!,
                Runtime = spec.Runtime!,
                Tmpfs = spec.Tmpfs.IsEmpty ? null! : spec.Tmpfs.ToDictionary(),
                Mounts = spec.Mounts.Select(ToMount).ToList(),
                PortBindings = spec.PublishedPorts.IsEmpty ? null! : spec.PublishedPorts.ToDictionary(
                    port => $"{port.ContainerPort}/tcp",
                    port => (IList<PortBinding>)[new PortBinding { HostIP = port.HostAddress, HostPort = "" }]),

                // Empty lists (not null) are what tell the engine to mask and protect nothing.
                MaskedPaths = spec.UnconfinedSystemPaths ? [] : null!,
                ReadonlyPaths = spec.UnconfinedSystemPaths ? [] : null!,
            },
        };
        try
        {
            var response = await client.Containers.CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false);
            return response.ID;
        }
        catch (DockerApiException ex)
        {
            throw new DockerOperationException($"docker create {spec.Image}", EngineError.MessageOf(ex), ex);
        }
    }

    public async Task StartAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex)
        {
            throw new DockerOperationException($"docker start {id[..Math.Min(12, id.Length)]}", EngineError.MessageOf(ex), ex);
        }
    }

    public async Task<long> WaitAsync(string id, CancellationToken cancellationToken)
    {
        var response = await client.Containers.WaitContainerAsync(id, cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    public async Task KillAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await client.Containers.KillContainerAsync(id, new ContainerKillParameters(), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Not running (409) or gone (404): either way it is no longer running.
        }
    }

    public async Task StopAsync(string id, TimeSpan grace, CancellationToken cancellationToken)
    {
        try
        {
            // At least a second: a zero WaitBeforeKillSeconds is not sent, and the engine's default (10 s) applies.
            var seconds = (uint)Math.Max(1, Math.Ceiling(grace.TotalSeconds));
            await client.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Gone: stopped as much as it can be.
        }
        catch (DockerApiException ex) when (ex.StatusCode is HttpStatusCode.NotFound)
        {
        }
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            // Force is a kill, not a graceful stop: nothing in a torn-down container is worth waiting for.
            await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone is what removal wants.
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict && (ex.ResponseBody ?? "").Contains("already in progress", StringComparison.OrdinalIgnoreCase))
        {
            // Another client is removing it (two Reaps of one dead session, measured in CI): removal wants it gone, so
            // this waits for that removal to end, and fails as the engine said only if the container is still there.
            if (!await GoneWithinAsync(id, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
        }
    }

    private async Task<bool> GoneWithinAsync(string id, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        do
        {
            try
            {
                await client.Containers.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerContainerNotFoundException)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }

    public async Task<ContainerStatus?> InspectAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.Containers.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
            var state = response.State;
            var networks = response.NetworkSettings?.Networks?.Values ?? [];
            var ports = response.NetworkSettings?.Ports ?? new Dictionary<string, IList<PortBinding>>();
            return new ContainerStatus(response.ID, response.Name.TrimStart('/'), state?.Running ?? false, state?.ExitCode ?? 0, state?.Status ?? "unknown", string.IsNullOrEmpty(state?.Error) ? null : state.Error, state?.OOMKilled ?? false)
            {
                IpAddresses = networks.Select(network => network.IPAddress).Where(address => !string.IsNullOrEmpty(address)).ToList(),
                PublishedPorts = ports
                    .Where(port => port.Key.EndsWith("/tcp", StringComparison.Ordinal) && port.Value is { Count: > 0 })
                    .ToDictionary(port => int.Parse(port.Key[..^4], System.Globalization.CultureInfo.InvariantCulture), port => $"{port.Value[0].HostIP}:{port.Value[0].HostPort}"),
                Hostname = response.Config?.Hostname ?? "",
            };
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    public Task FollowLogsAsync(string id, Action<string> onLine, CancellationToken cancellationToken) => LogsAsync(id, follow: true, onLine, cancellationToken);

    public Task ReadLogsAsync(string id, Action<string> onLine, CancellationToken cancellationToken) => LogsAsync(id, follow: false, onLine, cancellationToken);

    public async Task<string> GetLogTailAsync(string id, int lines, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        using var stream = await client.Containers.GetContainerLogsAsync(
            id,
            new ContainerLogsParameters { Follow = false, ShowStdout = true, ShowStderr = true, Tail = lines.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            cancellationToken).ConfigureAwait(false);
        await ReadLinesAsync(stream, (line, _) => text.Append(line).Append('\n'), cancellationToken).ConfigureAwait(false);
        return text.ToString();
    }

    public async Task StreamStatsAsync(string id, Action<ResourceSample> onSample, CancellationToken cancellationToken)
    {
        var progress = new SynchronousProgress<ContainerStatsResponse>(stats =>
        {
            if (ResourceSample.From(stats) is { } sample)
            {
                onSample(sample);
            }
        });
        try
        {
            await client.Containers.GetContainerStatsAsync(id, new ContainerStatsParameters { Stream = true }, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Removed while sampling: the samples so far are all there is.
        }
    }

    public async Task<Stream?> GetArchiveAsync(string id, string path, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.Containers.GetArchiveFromContainerAsync(id, new ContainerPathStatParameters { Path = path }, statOnly: false, cancellationToken).ConfigureAwait(false);
            return response.Stream;
        }
        catch (DockerContainerNotFoundException)
        {
            // The engine answers 404 for a missing path as for a missing container.
            return null;
        }
    }

    public Task PutArchiveAsync(string id, string directory, Stream tar, CancellationToken cancellationToken) =>
        client.Containers.ExtractArchiveToContainerAsync(id, new CopyToContainerParameters { Path = directory }, tar, cancellationToken);

    public async Task<IReadOnlyList<string>> ListIdsByLabelAsync(string key, string value, CancellationToken cancellationToken)
    {
        var containers = await client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilter.For(key, value) },
            cancellationToken).ConfigureAwait(false);
        return containers.Select(container => container.ID).ToList();
    }

    public async Task<IReadOnlyList<string>> ListRunningUsingVolumeAsync(string volume, CancellationToken cancellationToken)
    {
        var containers = await client.Containers.ListContainersAsync(
            new ContainersListParameters { All = false, Filters = new Dictionary<string, IDictionary<string, bool>> { ["volume"] = new Dictionary<string, bool> { [volume] = true } } },
            cancellationToken).ConfigureAwait(false);
        return containers.Select(container => container.ID).ToList();
    }

    public async Task<IReadOnlyList<LabelledResource>> ListWithLabelAsync(string key, CancellationToken cancellationToken)
    {
        var containers = await client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilter.ForKey(key) },
            cancellationToken).ConfigureAwait(false);
        return containers.Select(container => new LabelledResource(container.ID, LabelFilter.Copy(container.Labels))).ToList();
    }

    private async Task LogsAsync(string id, bool follow, Action<string> onLine, CancellationToken cancellationToken)
    {
        using var stream = await client.Containers.GetContainerLogsAsync(
            id,
            new ContainerLogsParameters { Follow = follow, ShowStdout = true, ShowStderr = true },
            cancellationToken).ConfigureAwait(false);
        await ReadLinesAsync(stream, (line, _) => onLine(line), cancellationToken).ConfigureAwait(false);
    }

    private static Mount ToMount(MountSpec mount) => new()
    {
        Type = mount.Kind == MountKind.Bind ? "bind" : "volume",
        Source = mount.Source,
        Target = mount.Target,
        ReadOnly = mount.ReadOnly,
        VolumeOptions = mount.VolumeLabels is { } labels ? new VolumeOptions { Labels = labels.ToDictionary() } : null,
    };

    /// <summary>Splits the multiplexed stdout/stderr frames into lines, keeping each stream's partial line apart; true: from stderr.</summary>
    private static async Task ReadLinesAsync(MultiplexedStream stream, Action<string, bool> onLine, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var pending = new Dictionary<MultiplexedStream.TargetStream, StringBuilder>();
        var decoders = new Dictionary<MultiplexedStream.TargetStream, Decoder>();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            var result = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            if (result.EOF)
            {
                break;
            }

            if (!pending.TryGetValue(result.Target, out var line))
            {
                line = pending[result.Target] = new StringBuilder();
                decoders[result.Target] = Encoding.UTF8.GetDecoder();
            }

            var count = decoders[result.Target].GetChars(buffer, 0, result.Count, chars, 0);
            for (var i = 0; i < count; i++)
            {
                if (chars[i] == '\n')
                {
                    onLine(line.ToString().TrimEnd('\r'), result.Target == MultiplexedStream.TargetStream.StandardError);
                    line.Clear();
                }
                else
                {
                    line.Append(chars[i]);
                }
            }
        }

        foreach (var (target, rest) in pending.Where(entry => entry.Value.Length > 0))
        {
            onLine(rest.ToString(), target == MultiplexedStream.TargetStream.StandardError);
        }
    }
}
