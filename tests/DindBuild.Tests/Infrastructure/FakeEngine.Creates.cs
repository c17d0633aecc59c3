using DindBuild.Docker;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Container creates of a <see cref="FakeEngine"/>, which a test may hold back to play a create in flight when a signal comes.</summary>
internal sealed partial class FakeEngine
{
    /// <summary>
    /// When set, a container create answers only once this completes, and a cancelled caller stops
    /// listening without stopping the create — as a real engine does with an abandoned HTTP request.
    /// </summary>
    public TaskCompletionSource? CreateGate { get; set; }

    /// <summary>Completes when a container create arrives while <see cref="CreateGate"/> is set.</summary>
    public TaskCompletionSource CreateArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the engine has finished a gated create, whether or not anyone still listened.</summary>
    public TaskCompletionSource EngineSideCreateDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    async Task<string> IDockerContainers.CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        await Call("container.create", spec.Name ?? spec.Image);
        if (CreateGate is not { } gate)
        {
            return Create(spec);
        }

        CreateArrived.TrySetResult();
        var engineSide = Task.Run(async () =>
        {
            await gate.Task;
            var id = Create(spec);
            EngineSideCreateDone.TrySetResult();
            return id;
        });
        return await engineSide.WaitAsync(cancellationToken);
    }

    private string Create(ContainerSpec spec)
    {
        if (spec.Name is { } name && Find(name) is not null)
        {
            throw new DockerOperationException("docker create", $"Conflict. The container name \"/{name}\" is already in use");
        }

        if (OnCreate?.Invoke(spec) is { } refused)
        {
            throw refused;
        }

        var container = new FakeContainer(NewId(), spec.Name ?? NewId(), spec.Labels)
        {
            Mounts = spec.Mounts,
            Volumes = [.. spec.Mounts.Where(mount => mount.Kind == MountKind.Volume).Select(mount => mount.Source)],
        };
        lock (_containers)
        {
            _containers.Add(container);
        }

        // As the engine does for --mount type=volume,volume-label=…: a volume that is not there is made, with those labels.
        foreach (var mount in spec.Mounts.Where(mount => mount is { Kind: MountKind.Volume, VolumeLabels: not null }))
        {
            _volumes.TryAdd(mount.Source, mount.VolumeLabels!);
        }

        return container.Id;
    }
}
