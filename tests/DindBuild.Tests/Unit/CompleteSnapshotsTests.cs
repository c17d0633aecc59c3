using DindBuild.Docker;
using DindBuild.Images.Snapshots;
using DindBuild.Sessions;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>
/// The quick reap at every StartDaemon checked each seed snapshot with two containers (a lock and a marker check),
/// every run (issue 17: 0.2 s a snapshot, measured). A snapshot found complete is now remembered by name and creation
/// label and not checked again where being complete keeps it; removals still go through the lock and the check.
/// </summary>
public sealed class CompleteSnapshotsTests : IDisposable
{
    private readonly TempDirectory _state = new();
    private readonly FakeEngine _host = new FakeEngines().Add("unix:///fake/host.sock");

    public CompleteSnapshotsTests()
    {
        _host.AddImage("dind:fake");

        // The marker names the volume the check container mounts: every snapshot here is complete unless listed.
        _host.FileText = (container, path) => path.EndsWith("/" + SeedSnapshotStore.MarkerFile, StringComparison.Ordinal)
            && container.Mounts.FirstOrDefault(mount => mount.Kind == MountKind.Volume) is { } mount && !HalfMade.Contains(mount.Source)
                ? mount.Source + "\ndindbuild/python:trixie\n"
                : null;
    }

    public void Dispose() => _state.Dispose();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private HashSet<string> HalfMade { get; } = [];

    [Fact]
    public async Task A_snapshot_found_complete_is_not_checked_again_by_the_next_quick_reap()
    {
        await SnapshotAsync("dindbuild-seed-a", created: "100");
        await SnapshotAsync("dindbuild-seed-b", created: "200");

        Assert.Equal(0, await PruneAsync(olderThan: null));
        Assert.Equal(4, _host.Count("container.create"));

        Assert.Equal(0, await PruneAsync(olderThan: null));
        Assert.Equal(4, _host.Count("container.create"));
        Assert.Equal(["dindbuild-seed-a", "dindbuild-seed-b"], _host.VolumeNames.Order(StringComparer.Ordinal));
        Assert.Empty(_host.ContainerList);
    }

    [Fact]
    public async Task A_half_made_snapshot_is_never_remembered_and_still_removed()
    {
        HalfMade.Add("dindbuild-seed-half");
        await SnapshotAsync("dindbuild-seed-half", created: "100");

        Assert.Equal(1, await PruneAsync(olderThan: null));
        Assert.Empty(_host.VolumeNames);
    }

    [Fact]
    public async Task A_snapshot_made_again_under_the_same_name_is_checked_afresh()
    {
        await SnapshotAsync("dindbuild-seed-a", created: "100");
        await PruneAsync(olderThan: null);

        // Removed by hand and made again by a maker that was killed: same name, new creation label, no marker.
        await ((IDockerVolumes)_host).RemoveAsync("dindbuild-seed-a", Cancel);
        HalfMade.Add("dindbuild-seed-a");
        await SnapshotAsync("dindbuild-seed-a", created: "300");

        Assert.Equal(1, await PruneAsync(olderThan: null));
        Assert.Empty(_host.VolumeNames);
    }

    [Fact]
    public async Task An_old_snapshot_remembered_complete_is_still_removed_under_its_lock_and_forgotten()
    {
        await SnapshotAsync("dindbuild-seed-old", created: "100");
        await PruneAsync(olderThan: null);
        var creates = _host.Count("container.create");

        Assert.Equal(1, await PruneAsync(olderThan: TimeSpan.FromDays(1)));
        Assert.True(_host.Count("container.create") > creates, "the removal took no lock");
        Assert.Empty(_host.VolumeNames);
        var file = Assert.Single(Directory.GetFiles(_state.Path, "seed-complete-*.json"));
        Assert.Equal("[]", (await File.ReadAllTextAsync(file, Cancel)).Trim());
    }

    private async Task SnapshotAsync(string name, string created) =>
        await ((IDockerVolumes)_host).CreateAsync(name, new Dictionary<string, string>
        {
            [SeedSnapshotStore.CacheLabel] = SeedSnapshotStore.CacheKind,
            [SeedSnapshotStore.DindImageLabel] = _host.ImageId("dind:fake")!,
            [SessionLabels.Created] = created,
        }, Cancel);

    private Task<int> PruneAsync(TimeSpan? olderThan) =>
        new SeedSnapshotPruner(_host, Logger.None, _state.Path).PruneAsync(olderThan, pruneAll: false, ["dind:fake"], Cancel);
}
