using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Images.Snapshots;
using DindBuild.Sessions;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Which seed snapshots Reap removes: half-made ones always, complete ones older than --reap-older-than or all with
/// --prune-seed-snapshots, and never one a running container mounts or whose lock another run holds; over a fake engine,
/// that the checks leave no container behind.
/// </summary>
public sealed class SeedSnapshotPruningTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static SeedSnapshotFacts Facts(TimeSpan age, bool inUse = false, bool lockHeld = false, bool? complete = true) =>
        new("dindbuild-seed-0123456789abcdef", Now - age, inUse, lockHeld, complete);

    [Fact]
    public void A_complete_unused_snapshot_goes_only_when_older_than_the_limit_or_when_all_are_pruned()
    {
        Assert.Null(SeedSnapshotPruner.WhyRemove(Facts(TimeSpan.FromDays(30)), olderThan: null, pruneAll: false, Now));
        Assert.Null(SeedSnapshotPruner.WhyRemove(Facts(TimeSpan.FromHours(1)), TimeSpan.FromHours(2), pruneAll: false, Now));
        Assert.Contains("--reap-older-than 120m", SeedSnapshotPruner.WhyRemove(Facts(TimeSpan.FromHours(3)), TimeSpan.FromHours(2), pruneAll: false, Now), StringComparison.Ordinal);
        Assert.Contains("--prune-seed-snapshots", SeedSnapshotPruner.WhyRemove(Facts(TimeSpan.FromMinutes(1)), olderThan: null, pruneAll: true, Now), StringComparison.Ordinal);

        // Unreadable marker: not known to be half-made, so only age or the switch retire it.
        Assert.Null(SeedSnapshotPruner.WhyRemove(Facts(TimeSpan.FromHours(1), complete: null), olderThan: null, pruneAll: false, Now));
        Assert.NotNull(SeedSnapshotPruner.WhyRemove(Facts(TimeSpan.FromHours(1), complete: null), olderThan: null, pruneAll: true, Now));
    }

    [Fact]
    public void A_half_made_snapshot_goes_whatever_its_age()
    {
        Assert.Contains("half-made", SeedSnapshotPruner.WhyRemove(Facts(TimeSpan.FromSeconds(5), complete: false), olderThan: null, pruneAll: false, Now), StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_in_use_or_locked_by_another_run_stays_whatever_is_asked()
    {
        foreach (var facts in (SeedSnapshotFacts[])[Facts(TimeSpan.FromDays(9), inUse: true, complete: false), Facts(TimeSpan.FromDays(9), lockHeld: true, complete: false)])
        {
            Assert.Null(SeedSnapshotPruner.WhyRemove(facts, TimeSpan.FromSeconds(1), pruneAll: true, Now));
        }
    }

    [Fact]
    public async Task Reap_removes_the_half_made_snapshot_and_keeps_the_one_a_running_container_mounts_and_the_locked_one()
    {
        using var host = new FakeEngine(new DockerEndpoint(new Uri("unix:///fake/host.sock")));
        host.AddImage("dind:fake");
        var labels = new Dictionary<string, string>
        {
            [SeedSnapshotStore.CacheLabel] = SeedSnapshotStore.CacheKind,
            [SeedSnapshotStore.DindImageLabel] = host.ImageId("dind:fake")!,
            [SessionLabels.Created] = "1",
        };
        IDockerVolumes volumes = host;
        IDockerContainers containers = host;
        foreach (var name in (string[])["dindbuild-seed-half", "dindbuild-seed-mounted", "dindbuild-seed-locked"])
        {
            await volumes.CreateAsync(name, labels, Cancel);
        }

        await volumes.CreateAsync("other-cache", new Dictionary<string, string> { [SeedSnapshotStore.CacheLabel] = "dotnet" }, Cancel);
        var user = await containers.CreateAsync(new ContainerSpec("dind:fake") { Mounts = [new MountSpec(MountKind.Volume, "dindbuild-seed-mounted", "/dindbuild-seed", ReadOnly: true)] }, Cancel);
        await containers.StartAsync(user, Cancel);
        var (held, _) = await CacheVolumeLock.TryAcquireAsync(host, "dindbuild-seed-locked", "dind:fake", Logger.None, Cancel);
        Assert.NotNull(held);
        var before = host.ContainerList.Select(container => container.Id).Order(StringComparer.Ordinal).ToList();

        // The fake's archives hold no marker naming a volume: each unused one looks half-made.
        var removed = await new SeedSnapshotPruner(host, Logger.None).PruneAsync(olderThan: null, pruneAll: false, ["not-here:1", "dind:fake"], Cancel);

        Assert.Equal(1, removed);
        Assert.Equal(["dindbuild-seed-locked", "dindbuild-seed-mounted", "other-cache"], host.VolumeNames.Order(StringComparer.Ordinal));
        Assert.Equal(before, host.ContainerList.Select(container => container.Id).Order(StringComparer.Ordinal));
        await held!.DisposeAsync();
    }
}
