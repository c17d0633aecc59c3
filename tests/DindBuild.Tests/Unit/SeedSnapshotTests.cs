using System.Globalization;
using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Images;
using DindBuild.Images.Snapshots;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Seed snapshots over fakes: what the key is made of (a changed host image ID is a new snapshot, the Dockerfile's order
/// is not), when a daemon takes none, which old ones go, that an existing one is used without making anything, and that
/// seeding skips an image only when the daemon has the host's image ID.
/// </summary>
public sealed class SeedSnapshotTests
{
    private const string Python = "dindbuild/python:trixie";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static SeedSnapshotKey Key(params (string Name, string Id)[] images) => new(images, "sha256:dind1", []);

    [Fact]
    public void The_key_follows_the_image_IDs_and_the_DinD_image_but_not_the_order_of_the_images()
    {
        var key = Key((Python, "sha256:aaa"), ("alpine:3", "sha256:bbb"));

        Assert.Equal(key.VolumeName, Key(("alpine:3", "sha256:bbb"), (Python, "sha256:aaa")).VolumeName);
        Assert.NotEqual(key.VolumeName, Key((Python, "sha256:ccc"), ("alpine:3", "sha256:bbb")).VolumeName);
        Assert.NotEqual(key.VolumeName, (key with { DindImageId = "sha256:dind2" }).VolumeName);
        Assert.NotEqual(key.VolumeName, (key with { StorageArguments = ["--storage-driver=vfs"] }).VolumeName);
        Assert.NotEqual(key.VolumeName, Key((Python, "sha256:aaa")).VolumeName);
        Assert.Matches("^dindbuild-seed-[0-9a-f]{16}$", key.VolumeName);
        Assert.Contains($"image {Python} sha256:aaa", key.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_flags_that_shape_the_image_store_take_part_and_a_user_namespace_adds_its_remap()
    {
        string[] arguments = ["--registry-mirror=http://mirror", "--storage-driver", "vfs", "--storage-opt=size=1G", "--mtu=1400"];

        Assert.Equal(["--storage-driver=vfs", "--storage-opt=size=1G"], SeedSnapshotKey.StorageArgumentsOf(arguments, innerUserns: false));
        Assert.Equal(["--storage-driver=vfs", "--storage-opt=size=1G", DindContainerSpecs.UsernsRemapFlag], SeedSnapshotKey.StorageArgumentsOf(arguments, innerUserns: true));
        Assert.Equal(["--userns-remap=someone"], SeedSnapshotKey.StorageArgumentsOf(["--userns-remap=someone"], innerUserns: true));
    }

    [Fact]
    public void A_cache_volume_or_a_moved_data_root_takes_no_snapshot()
    {
        Assert.Null(SeedSnapshotKey.WhyNot(SeedSnapshotChoice.On, null, ["--mtu=1400"]));
        Assert.Contains("cache1", SeedSnapshotKey.WhyNot(SeedSnapshotChoice.On, "cache1", []), StringComparison.Ordinal);
        Assert.Contains("data root", SeedSnapshotKey.WhyNot(SeedSnapshotChoice.On, null, ["--data-root=/elsewhere"]), StringComparison.Ordinal);
    }

    [Fact]
    public void The_three_newest_snapshots_stay_and_the_current_one_always_does()
    {
        LabelledResource Snapshot(string name, long created) => new(name, new Dictionary<string, string>
        {
            [SeedSnapshotStore.CacheLabel] = SeedSnapshotStore.CacheKind,
            [SessionLabels.Created] = created.ToString(CultureInfo.InvariantCulture),
        });
        var other = new LabelledResource("dotnet-cache", new Dictionary<string, string> { [SeedSnapshotStore.CacheLabel] = "dotnet-cache" });

        var stale = SeedSnapshotStore.Stale([Snapshot("s1", 100), Snapshot("s2", 400), Snapshot("s3", 300), Snapshot("s4", 200), Snapshot("s5", 50), other], current: "s5");

        Assert.Equal(["s4", "s1"], stale);
    }

    [Fact]
    public void The_snapshot_holds_every_stage_the_frontend_and_the_seed_images()
    {
        using var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile"), "# syntax=example/frontend:1\nFROM alpine:3 AS tools\nFROM debian:13 AS other\nFROM tools\n");
        var settings = new DindSettings(context.Path).WithContextDirectory(context.Path).WithTargetStage("tools").WithSeedImage("redis:7");

        Assert.Equal(["alpine:3", "debian:13", "example/frontend:1", "redis:7"], RunImages.ForSnapshot(settings).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_existing_snapshot_nobody_is_making_is_used_as_it_is()
    {
        using var host = new FakeEngine(new DockerEndpoint(new Uri("unix:///fake/host.sock")));
        host.AddImage(Python);
        host.AddImage("dind:fake");
        var key = new SeedSnapshotKey([(Python, host.ImageId(Python)!)], host.ImageId("dind:fake")!, []);
        await ((IDockerVolumes)host).CreateAsync(key.VolumeName, SeedSnapshotStore.Labels(key), Cancel);
        var before = host.Calls.Count;

        var volume = await new SeedSnapshotStore(host, _ => throw new InvalidOperationException("no daemon is started"), Logger.None)
            .EnsureAsync(Request([Python, "not-on-the-host:1"]), Cancel);

        Assert.Equal(key.VolumeName, volume);
        Assert.DoesNotContain(host.Calls.Skip(before), call => call.Operation is "container.create" or "volume.create" or "image.save");
    }

    [Fact]
    public async Task Images_none_of_which_is_on_the_host_take_no_snapshot()
    {
        using var host = new FakeEngine(new DockerEndpoint(new Uri("unix:///fake/host.sock")));
        host.AddImage("dind:fake");

        var volume = await new SeedSnapshotStore(host, _ => throw new InvalidOperationException("no daemon is started"), Logger.None).EnsureAsync(Request(["nowhere:1"]), Cancel);

        Assert.Null(volume);
        Assert.Empty(host.VolumeNames);
        Assert.Empty(host.ContainerList);
    }

    [Fact]
    public async Task A_session_container_whose_snapshot_is_incomplete_starts_without_it_and_the_half_made_volume_goes()
    {
        using var host = new FakeEngine(new DockerEndpoint(new Uri("unix:///fake/host.sock")));
        var mounts = new List<IReadOnlyList<MountSpec>>();
        host.OnCreate = spec =>
        {
            mounts.Add(spec.Mounts);
            return null;
        };
        await ((IDockerVolumes)host).CreateAsync("dindbuild-seed-0123456789abcdef", new Dictionary<string, string>(), Cancel);
        var session = "u" + Guid.NewGuid().ToString("N")[..11];
        try
        {
            // The fake's archive holds no marker naming the volume: as a snapshot a killed run left half-made.
            var daemon = await new DindDaemonStarter(host, Logger.None).StartAsync(session, "dind:fake", PrivilegeProfile.Capabilities, new DindOptions(Tls: false, [], "sysbox-runc"), Cancel, _ => Task.FromResult<string?>("dindbuild-seed-0123456789abcdef"));

            Assert.Equal(2, mounts.Count);
            Assert.Contains(mounts[0], mount => mount.Source == "dindbuild-seed-0123456789abcdef" && mount.ReadOnly);
            Assert.DoesNotContain(mounts[1], mount => mount.Source == "dindbuild-seed-0123456789abcdef");
            Assert.DoesNotContain("dindbuild-seed-0123456789abcdef", host.VolumeNames);
            Assert.Single(host.ContainerList, container => container.Id == daemon.ContainerId);
        }
        finally
        {
            Directory.Delete(SessionNames.PrivateDirectory(session), recursive: true);
        }
    }

    [Fact]
    public async Task Seeding_skips_an_image_only_when_the_daemon_has_the_host_image_ID()
    {
        using var host = new FakeEngine(new DockerEndpoint(new Uri("unix:///fake/host.sock")));
        using var daemon = new FakeEngine(new DockerEndpoint(new Uri("unix:///fake/inner.sock")));
        host.AddImage(Python);
        host.AddImage("alpine:3");
        daemon.AddImageWithId(Python, host.ImageId(Python)!);
        daemon.AddImage("alpine:3");

        var missing = await new ImageSeeder(host, daemon, recipes: null, Logger.None, ProgressReporter.Plain(Logger.None, TimeSpan.FromHours(1))).SeedAsync([Python, "alpine:3"], Cancel);

        Assert.Empty(missing);
        Assert.Equal(["alpine:3"], host.Calls.Where(call => call.Operation == "image.save").Select(call => call.Target));
    }

    private static SeedSnapshotRequest Request(IReadOnlyList<string> images) =>
        new("s1", images, "dind:fake", PrivilegeProfile.Capabilities, [], "/tmp/unused");
}
