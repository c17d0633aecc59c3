using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Images.Snapshots;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Build snapshots over fakes (issue 17: every dind run of the .NET sample restored and built from nothing): what the
/// key is made of, which snapshot a run starts from, the output volume the engine makes with the container, the save's
/// command and its failure, which volumes go after a save, the fallback to the seed snapshot, and the threshold.
/// </summary>
public sealed class BuildSnapshotTests : IDisposable
{
    private const string Python = "dindbuild/python:trixie";

    private readonly FakeEngine _host = new FakeEngines().Add("unix:///fake/host.sock");

    public void Dispose() => _host.Dispose();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static SeedSnapshotKey Seed(string imageId = "sha256:aaa") => new([(Python, imageId)], "sha256:dind1", []);

    private static BuildSnapshotKey Key(string project = "repository=/src/app", string imageId = "sha256:aaa") => new(Seed(imageId), project);

    [Fact]
    public void The_key_is_the_project_and_everything_the_seed_snapshot_is_keyed_by()
    {
        var key = Key();

        Assert.Equal(key.Hash, Key().Hash);
        Assert.NotEqual(key.Hash, Key(project: "repository=/src/other").Hash);
        Assert.NotEqual(key.Hash, Key(imageId: "sha256:bbb").Hash);
        Assert.NotEqual(key.Hash, (key with { Seed = Seed() with { StorageArguments = [DindContainerSpecs.UsernsRemapFlag] } }).Hash);
        Assert.Matches("^dindbuild-build-[0-9a-f]{12}-s1$", key.VolumeFor("s1"));

        // The starter's completeness check is the seed snapshot's: the marker's first line names the volume.
        var volume = key.VolumeFor("s1");
        Assert.True(SeedSnapshotStore.Names(key.MarkerFor(volume), volume));
        Assert.False(SeedSnapshotStore.Names(key.MarkerFor(volume), key.VolumeFor("s2")));
    }

    [Fact]
    public void The_project_names_the_checkout_the_Dockerfile_the_target_and_the_compose_files()
    {
        var options = new DindSettings("/src/app");

        Assert.NotEqual(BuildSnapshotKey.ProjectOf(options), BuildSnapshotKey.ProjectOf(new DindSettings("/src/app-copy")));
        Assert.NotEqual(BuildSnapshotKey.ProjectOf(options), BuildSnapshotKey.ProjectOf(options.WithTargetStage("test")));
        Assert.NotEqual(BuildSnapshotKey.ProjectOf(options), BuildSnapshotKey.ProjectOf(options with { Dockerfile = "Dockerfile.ci" }));
        Assert.NotEqual(BuildSnapshotKey.ProjectOf(options), BuildSnapshotKey.ProjectOf(options with { Compose = options.Compose.WithFile("/src/app/compose.yaml") }));
    }

    [Fact]
    public async Task A_run_starts_from_the_newest_snapshot_of_its_key_whose_maker_is_gone()
    {
        var key = Key();
        await SnapshotAsync("dindbuild-build-older", key, maker: "s-old", created: "100");
        await SnapshotAsync("dindbuild-build-filling", key, maker: "s-live", created: "200");
        await SnapshotAsync("dindbuild-build-other", Key(project: "repository=/src/other"), maker: "s-other", created: "300");
        var live = _host.AddContainer(SessionNames.DindContainer("s-live"), "s-live");
        var store = new BuildSnapshotStore(_host, Logger.None);

        Assert.Equal("dindbuild-build-older", await store.FindAsync(key, Cancel));

        await ((IDockerContainers)_host).RemoveAsync(live.Id, Cancel);
        Assert.Equal("dindbuild-build-filling", await store.FindAsync(key, Cancel));
        Assert.Null(await store.FindAsync(Key(imageId: "sha256:ccc"), Cancel));
    }

    [Fact]
    public void After_a_save_the_older_snapshots_of_its_key_go_and_only_the_newest_of_all_stay()
    {
        LabelledResource Volume(string name, string key, string created) => new(name, new Dictionary<string, string>
        {
            [BuildSnapshotStore.KeyLabel] = key,
            [SessionLabels.Created] = created,
        });

        var stale = BuildSnapshotStore.Stale(
            [Volume("current", "k1", "300"), Volume("older-same-key", "k1", "400"), Volume("other-newer", "k2", "250"), Volume("other-older", "k3", "50")],
            "current");

        Assert.Equal(["older-same-key", "other-older"], stale.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_DinD_container_mounts_its_output_volume_writable_with_the_labels_the_engine_makes_it_with()
    {
        var output = BuildSnapshotOutput.For(Key(), "s1");

        var spec = DindContainerSpecs.For("s1", "dind:fake", PrivilegeProfile.Capabilities, DindContainerSpecs.InMemoryDataRoot, "/tmp/s1", "net", tls: false, snapshotOutput: output);

        var mount = Assert.Single(spec.Mounts, mount => mount.Target == BuildSnapshotStore.OutputMount);
        Assert.Equal((MountKind.Volume, output.Volume, false), (mount.Kind, mount.Source, mount.ReadOnly));
        Assert.Equal(BuildSnapshotStore.CacheKind, mount.VolumeLabels![SeedSnapshotStore.CacheLabel]);
        Assert.Equal("s1", mount.VolumeLabels[BuildSnapshotStore.MakerLabel]);
        Assert.DoesNotContain(SessionLabels.Session, mount.VolumeLabels.Keys);
    }

    [Fact]
    public async Task The_save_runs_the_entry_script_in_the_DinD_container_and_a_failed_one_is_a_warning_with_its_escaped_words()
    {
        var container = _host.AddContainer(SessionNames.DindContainer("s1"), "s1");
        var daemon = new DindDaemon(container.Id, container.Name, "dind:fake", PrivilegeProfile.Capabilities, DindContainerSpecs.InMemoryDataRoot, "/tmp/s1", "net") { BuildSnapshotVolume = "dindbuild-build-x-s1" };
        IReadOnlyList<string>? command = null;
        _host.OnExec = exec =>
        {
            command = exec;
            return (5, ["dindbuild-entrypoint: could not copy the data root: \u001b[31mdisk full"]);
        };
        var log = new CapturingLog(new Diagnostics.SecretMasker());

        Assert.False(await new BuildSnapshotStore(_host, log.Logger).SaveAsync(daemon, "marker text"));

        Assert.Equal(["/bin/sh", DindContainerSpecs.EntrypointPath, "--dindbuild-save-snapshot", BuildSnapshotStore.OutputMount, "marker text"], command);
        var warning = Assert.Single(log.Text.Split('\n'), line => line.StartsWith("Could not save", StringComparison.Ordinal));
        Assert.Contains("exited 5", warning, StringComparison.Ordinal);
        Assert.Contains("disk full", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", warning, StringComparison.Ordinal);

        _host.OnExec = _ => (0, ["dindbuild-entrypoint: saved 270 MB of data root into /dindbuild-snapshot-out"]);
        Assert.True(await new BuildSnapshotStore(_host, log.Logger).SaveAsync(daemon, "marker text"));
    }

    [Fact]
    public async Task An_unsaved_output_volume_goes_and_a_saved_one_stays_while_the_older_one_of_its_key_goes()
    {
        var key = Key();
        await SnapshotAsync("dindbuild-build-a-s0", key, maker: "s0", created: "100");
        await SnapshotAsync("dindbuild-build-a-s1", key, maker: "s1", created: "200");
        await SnapshotAsync("dindbuild-build-a-s2", key, maker: "s2", created: "300");
        var store = new BuildSnapshotStore(_host, Logger.None);

        await store.FinishAsync("dindbuild-build-a-s2", saved: false);
        Assert.Equal(["dindbuild-build-a-s0", "dindbuild-build-a-s1"], _host.VolumeNames.Order(StringComparer.Ordinal));

        await store.FinishAsync("dindbuild-build-a-s1", saved: true);
        Assert.Equal(["dindbuild-build-a-s1"], _host.VolumeNames);
    }

    [Fact]
    public async Task A_build_snapshot_that_is_not_complete_gives_way_to_the_seed_snapshot_not_to_an_empty_daemon()
    {
        const string seed = "dindbuild-seed-0123456789abcdef";
        const string build = "dindbuild-build-0123456789ab-s0";
        var mounts = new List<IReadOnlyList<MountSpec>>();
        var specs = new List<ContainerSpec>();
        _host.OnCreate = spec =>
        {
            mounts.Add(spec.Mounts);
            specs.Add(spec);
            return null;
        };

        // The seed snapshot is complete; the build snapshot has no marker (its save was killed).
        _host.FileText = (container, path) => container.Mounts.FirstOrDefault(mount => mount.Target == DindContainerSpecs.SeedSnapshotMount)?.Source == seed ? seed + "\n" : null;
        await ((IDockerVolumes)_host).CreateAsync(seed, new Dictionary<string, string>(), Cancel);
        await ((IDockerVolumes)_host).CreateAsync(build, new Dictionary<string, string>(), Cancel);
        var session = "u" + Guid.NewGuid().ToString("N")[..11];
        var output = BuildSnapshotOutput.For(Key(), session);
        var options = new DindOptions(Tls: false, [], "sysbox-runc") { BuildSnapshot = build, BuildSnapshotOutput = output };
        try
        {
            var daemon = await new DindDaemonStarter(_host, Logger.None).StartAsync(session, "dind:fake", PrivilegeProfile.Capabilities, options, Cancel, _ => Task.FromResult<string?>(seed));

            Assert.Equal(2, mounts.Count);
            Assert.Contains(mounts[0], mount => mount.Source == build && mount.Target == DindContainerSpecs.SeedSnapshotMount);
            Assert.Contains(mounts[1], mount => mount.Source == seed && mount.Target == DindContainerSpecs.SeedSnapshotMount);
            Assert.DoesNotContain(build, _host.VolumeNames);
            Assert.Contains(output.Volume, _host.VolumeNames);
            Assert.Equal((output.Volume, output.Marker), (daemon.BuildSnapshotVolume, daemon.BuildSnapshotMarker));

            // The build snapshot's daemon keeps its ID (BuildKit's worker, and so its cache, is named after it); a seed snapshot's does not.
            Assert.Contains("DINDBUILD_KEEP_ENGINE_ID=1", specs[0].Environment);
            Assert.DoesNotContain("DINDBUILD_KEEP_ENGINE_ID=1", specs[1].Environment);

            // Its BuildKit cache is collected, or each generation would carry every earlier one's.
            Assert.All(specs, spec => Assert.Contains($"--config-file={DindDaemon.SocketDirectoryInContainer}/{BuilderGcConfig.FileName}", spec.Command!));
        }
        finally
        {
            Directory.Delete(SessionNames.PrivateDirectory(session), recursive: true);
        }
    }

    [Fact]
    public void Builds_are_added_up_across_steps_and_a_cancelled_session_forgets_them()
    {
        var session = "u" + Guid.NewGuid().ToString("N")[..11];
        Assert.Equal(TimeSpan.Zero, BuildDurations.Of(session));
        BuildDurations.Add(session, TimeSpan.FromSeconds(9));
        Assert.Equal(TimeSpan.Zero, BuildDurations.Of(session));

        Directory.CreateDirectory(SessionNames.PrivateDirectory(session));
        try
        {
            BuildDurations.Add(session, TimeSpan.FromSeconds(3));
            Assert.False(BuildSnapshotStore.ShouldSave(BuildDurations.Of(session), Logger.None));
            BuildDurations.Add(session, TimeSpan.FromSeconds(2.5));
            Assert.Equal(5.5, BuildDurations.Of(session).TotalSeconds, precision: 3);
            Assert.True(BuildSnapshotStore.ShouldSave(BuildDurations.Of(session), Logger.None));

            BuildDurations.Forget(session);
            Assert.Equal(TimeSpan.Zero, BuildDurations.Of(session));
        }
        finally
        {
            Directory.Delete(SessionNames.PrivateDirectory(session), recursive: true);
        }
    }

    [Fact]
    public async Task Reap_removes_a_build_snapshot_a_killed_run_left_without_its_marker_and_keeps_a_complete_one()
    {
        _host.AddImage("dind:fake");
        var key = Key() with { Seed = Seed() with { DindImageId = _host.ImageId("dind:fake")! } };
        await SnapshotAsync("dindbuild-build-a-killed", key, maker: "killed", created: "100");
        await SnapshotAsync("dindbuild-build-a-saved", key, maker: "saved", created: "200");
        _host.FileText = (container, path) => container.Mounts.FirstOrDefault(mount => mount.Target == DindContainerSpecs.SeedSnapshotMount)?.Source is "dindbuild-build-a-saved"
            ? "dindbuild-build-a-saved\n"
            : null;

        Assert.Equal(1, await new SeedSnapshotPruner(_host, Logger.None).PruneAsync(olderThan: null, pruneAll: false, ["dind:fake"], Cancel));

        Assert.Equal(["dindbuild-build-a-saved"], _host.VolumeNames);
    }

    private async Task SnapshotAsync(string name, BuildSnapshotKey key, string maker, string created)
    {
        var labels = new Dictionary<string, string>(BuildSnapshotStore.Labels(key, maker)) { [SessionLabels.Created] = created };
        await ((IDockerVolumes)_host).CreateAsync(name, labels, Cancel);
    }
}
