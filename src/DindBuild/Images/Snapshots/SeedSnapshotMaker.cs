using System.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.IO;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Images.Snapshots;

/// <summary>
/// Makes one seed snapshot: a one-off DinD container whose dockerd keeps its data root on the new volume
/// (<c>--data-root=/dindbuild-seed/docker</c>), the images loaded into it by the usual streaming copy, checked by
/// image ID, dockerd stopped with SIGTERM (exit code 0: its databases closed), and only then the marker written.
/// Whatever fails, the maker container goes, and so does the half-made volume.
/// </summary>
internal sealed class SeedSnapshotMaker(IDockerEngine host, Func<DockerEndpoint, IDockerEngine> connect, ILogger log)
{
    public async Task MakeAsync(SeedSnapshotKey key, SeedSnapshotRequest request, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var volume = key.VolumeName;
        var clock = Stopwatch.StartNew();
        log.Information("Making the seed snapshot {Volume} for {Images}: later runs with these images copy it instead of loading them", volume, string.Join(", ", key.Images.Select(image => image.Name)));
        await host.Volumes.CreateAsync(volume, labels, cancellationToken).ConfigureAwait(false);
        string? id = null;
        var complete = false;
        try
        {
            PrivateFiles.CreateDirectory(request.SocketDirectory);
            var profile = request.Profile is PrivilegeProfile.Privileged or PrivilegeProfile.Sysbox ? request.Profile : PrivilegeProfile.Capabilities;
            var spec = DindContainerSpecs.WithProfile(Spec(key, request, volume), profile, request.InnerUserns, request.SysboxRuntime);
            EntrypointScript.WriteTo(request.SocketDirectory);
            id = await ResourceCreation.RunAsync(ct => host.Containers.CreateAsync(spec, ct), cancellationToken).ConfigureAwait(false);

            await host.Containers.StartAsync(id, cancellationToken).ConfigureAwait(false);
            var daemon = new DindDaemon(id, spec.Name!, request.DindImage, profile, volume, request.SocketDirectory, "none");
            using (var inner = await new DindDaemonStarter(host, log, connect).WaitUntilReadyAsync(daemon, request.DaemonStartTimeout, cancellationToken).ConfigureAwait(false))
            {
                await LoadAsync(key, inner, cancellationToken).ConfigureAwait(false);
            }

            await host.Containers.StopAsync(id, CacheVolumeStop.Grace, cancellationToken).ConfigureAwait(false);
            var stopped = await host.Containers.InspectAsync(id, cancellationToken).ConfigureAwait(false);
            if (stopped is not { Running: false, ExitCode: 0 })
            {
                var tail = await new DindDaemonStarter(host, log, connect).DaemonLogTailAsync(id, cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException($"its dockerd did not stop cleanly (exit code {stopped?.ExitCode}): {tail}");
            }

            // Last: a volume without it is never copied.
            using (var marker = MarkerTar(volume + "\n" + key.Description + "\n"))
            {
                await host.Containers.PutArchiveAsync(id, DindContainerSpecs.SeedSnapshotMount, marker, cancellationToken).ConfigureAwait(false);
            }

            complete = true;
            log.Information("Made the seed snapshot {Volume} in {Seconds:0.0} s", volume, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            await CleanUpAsync(id, complete ? null : volume, request.SocketDirectory).ConfigureAwait(false);
        }
    }

    private static ContainerSpec Spec(SeedSnapshotKey key, SeedSnapshotRequest request, string volume) => new(request.DindImage)
    {
        Name = $"dindbuild-{request.SessionId}-seed",
        Entrypoint = ["/bin/sh", DindContainerSpecs.EntrypointPath],
        Command =
        [
            $"--data-root={DindContainerSpecs.SeedSnapshotMount}/docker",
            $"--host=unix://{DindDaemon.SocketDirectoryInContainer}/docker.sock",
            "--tls=false",
            .. key.StorageArguments,
        ],
        Labels = Sessions.SessionLabels.For(request.SessionId, "seed-snapshot-maker", request.Owner),

        // Nothing to reach: the images come through the socket.
        NetworkMode = "none",
        Mounts =
        [
            new MountSpec(MountKind.Volume, volume, DindContainerSpecs.SeedSnapshotMount),
            new MountSpec(MountKind.Bind, request.SocketDirectory, DindDaemon.SocketDirectoryInContainer),
        ],
    };

    private async Task LoadAsync(SeedSnapshotKey key, IDockerEngine inner, CancellationToken cancellationToken)
    {
        var missing = await new ImageSeeder(host, inner, recipes: null, log).SeedAsync([.. key.Images.Select(image => image.Name)], cancellationToken).ConfigureAwait(false);
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"{string.Join(", ", missing.Select(image => image.Image))} left the host engine meanwhile");
        }

        // An image rebuilt on the host since the key was made must not be snapshotted under the old ID.
        foreach (var (name, id) in key.Images)
        {
            var loaded = await inner.Images.InspectAsync(name, cancellationToken).ConfigureAwait(false);
            if (loaded?.Id != id)
            {
                throw new InvalidOperationException($"{name} changed on the host engine meanwhile ({id} expected, {loaded?.Id ?? "none"} loaded)");
            }
        }
    }

    private static MemoryStream MarkerTar(string text) => SingleFileTar.Of(SeedSnapshotStore.MarkerFile, text);

    /// <summary>Tries every part, whatever fails: a leftover maker would hold the volume, a leftover volume looks like a snapshot.</summary>
    private async Task CleanUpAsync(string? containerId, string? incompleteVolume, string socketDirectory)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var failures = new List<string>();
        if (containerId is not null)
        {
            await TryAsync(() => host.Containers.RemoveAsync(containerId, timeout.Token), $"docker rm -f {containerId}", failures).ConfigureAwait(false);
        }

        if (incompleteVolume is not null)
        {
            await TryAsync(() => host.Volumes.RemoveAsync(incompleteVolume, timeout.Token), $"docker volume rm {incompleteVolume}", failures).ConfigureAwait(false);
        }

        await TryAsync(() => { Directory.Delete(socketDirectory, recursive: true); return Task.CompletedTask; }, $"rm -r {socketDirectory}", failures).ConfigureAwait(false);
        if (failures.Count > 0)
        {
            log.Warning("Could not clean up after making a seed snapshot; do it by hand: {Failures}", string.Join("; ", failures));
        }
    }

    private static async Task TryAsync(Func<Task> action, string what, List<string> failures)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not DirectoryNotFoundException)
        {
            failures.Add($"{what} ({ex.GetBaseException().Message})");
        }
    }
}
