using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Seed snapshots against real daemons, checked with the docker CLI: the image is in the session's daemon as soon as it
/// answers (before SeedImages), with the host's image ID and its layers' deletions intact (whiteouts, an opaque
/// directory, hard links); a base image changed on the host gets a new snapshot with the new content; two runs making
/// the same snapshot at once make it once; and nothing is left but the snapshot volumes, labelled as cache. Each test
/// uses image names of its own, so its snapshots are its own, and removes them at the end.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class SeedSnapshotEngineTests(EngineFixture engine)
{
    private const string Python = "dindbuild/python:trixie";
    private const string SnapshotFilter = "label=org.dindbuild.cache=seed-snapshot";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deleted_files_replaced_directories_and_hard_links_of_an_image_come_out_of_the_snapshot_as_on_the_host()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var files = new TempDirectory();
        var image = $"dindbuild-whiteouts-{harness.Id}:1";

        // The second layer deletes /f (a whiteout) and replaces /d (an opaque directory); /keep-link is a hard link,
        // and /keep has an owner with no name in the DinD image and a setuid mode (numeric owners and modes kept).
        await File.WriteAllTextAsync(files.Combine("Dockerfile"), $"FROM {Python}\n"
            + "RUN mkdir -p /d/sub && echo old > /d/a && touch /d/sub/x /f && echo kept > /keep && ln /keep /keep-link && chown 1234:5678 /keep && chmod 4751 /keep\n"
            + "RUN rm /f && rm -rf /d && mkdir /d && echo new > /d/b\n", Cancel);
        await DockerCli.OutputAsync(["build", "-q", "--label", harness.Label, "-t", image, files.Path]);
        harness.RemoveImageAfterwards(image);
        const string Tree = "ls -A /d; cat /d/b; test -e /f && echo f-is-back; [ $(stat -c %i /keep) = $(stat -c %i /keep-link) ] && echo linked; stat -c '%h %u:%g %a' /keep";
        var onHost = await DockerCli.OutputAsync(["run", "--rm", image, "sh", "-c", Tree]);
        Assert.Equal("b\nnew\nlinked\n2 1234:5678 4751", onHost);

        try
        {
            string sessionId;
            await using (var session = DindSession.Create(Settings(files).WithSeedImage(image), EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
            {
                sessionId = session.Id;
                await StartAsync(session);
                var inner = DockerCli.EnvironmentFor(session.State.Daemon!.Endpoint);

                // Before SeedImages: the image came with the data root, at the host's image ID.
                Assert.Equal(await ImageIdAsync(image), await ImageIdAsync(image, inner));
                Assert.Contains("copied the seed snapshot", (await DockerCli.RunAsync(["logs", session.State.Daemon.ContainerName])).StandardError, StringComparison.Ordinal);
                Assert.Equal(onHost, await DockerCli.OutputAsync(["run", "--rm", image, "sh", "-c", Tree], environment: inner));
            }

            await AssertNothingLeftButSnapshotsAsync(sessionId);
            Assert.Single(await SnapshotsOfAsync(image));
        }
        finally
        {
            await RemoveSnapshotsOfAsync(image);
        }
    }

    [Fact]
    public async Task A_base_image_rebuilt_on_the_host_gets_a_new_snapshot_with_its_new_content()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var files = new TempDirectory();
        var image = $"dindbuild-changing-{harness.Id}:1";
        try
        {
            foreach (var version in (string[])["v1", "v2"])
            {
                await File.WriteAllTextAsync(files.Combine("Dockerfile"), $"FROM {Python}\nRUN echo {version} > /version\n", Cancel);
                await DockerCli.OutputAsync(["build", "-q", "--label", harness.Label, "-t", image, files.Path]);
                await using var session = DindSession.Create(Settings(files).WithSeedImage(image), EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
                await StartAsync(session);
                var inner = DockerCli.EnvironmentFor(session.State.Daemon!.Endpoint);

                Assert.Equal(version, await DockerCli.OutputAsync(["run", "--rm", image, "cat", "/version"], environment: inner));
                Assert.Equal(await ImageIdAsync(image), await ImageIdAsync(image, inner));
            }

            // One snapshot per host image ID, each marker naming its own.
            var snapshots = await SnapshotsOfAsync(image);
            Assert.Equal(2, snapshots.Count);
            var current = await ImageIdAsync(image);
            Assert.Single(snapshots, marker => marker.Contains($"image {image} {current}", StringComparison.Ordinal));
        }
        finally
        {
            await RemoveSnapshotsOfAsync(image);
            await DockerCli.RunAsync(["rmi", image]);
            foreach (var dangling in (await DockerCli.OutputAsync(["images", "-q", "--filter", $"label={harness.Label}"])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                await DockerCli.RunAsync(["rmi", dangling]);
            }
        }
    }

    [Fact]
    public async Task Two_runs_that_need_the_same_new_snapshot_at_once_make_it_once_and_both_start_from_it()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var files = new TempDirectory();

        // A retag: a new set of images (a new key) without new layers on the host.
        var image = $"dindbuild-concurrent-{harness.Id}:1";
        await DockerCli.OutputAsync(["tag", Python, image]);
        harness.RemoveImageAfterwards(image);
        try
        {
            await using var first = DindSession.Create(Settings(files).WithSeedImage(image), EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
            await using var second = DindSession.Create(Settings(files).WithSeedImage(image), EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
            await Task.WhenAll(StartAsync(first), StartAsync(second));

            foreach (var session in (DindSession[])[first, second])
            {
                var inner = DockerCli.EnvironmentFor(session.State.Daemon!.Endpoint);
                Assert.Equal(await ImageIdAsync(image), await ImageIdAsync(image, inner));
            }

            Assert.Single(await SnapshotsOfAsync(image));
            var ids = (first.Id, second.Id);
            await first.DisposeAsync();
            await second.DisposeAsync();
            await AssertNothingLeftButSnapshotsAsync(ids.Item1);
            await AssertNothingLeftButSnapshotsAsync(ids.Item2);
        }
        finally
        {
            await RemoveSnapshotsOfAsync(image);
        }
    }

    [Fact]
    public async Task With_seed_snapshots_off_no_snapshot_is_made_or_mounted_and_SeedImages_streams_the_image()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var files = new TempDirectory();

        // A retag of its own: with snapshots on, this run would make a new snapshot naming it.
        var image = $"dindbuild-off-{harness.Id}:1";
        await DockerCli.OutputAsync(["tag", Python, image]);
        harness.RemoveImageAfterwards(image);
        try
        {
            string sessionId;
            await using (var session = DindSession.Create(Settings(files).WithSeedImage(image).WithSeedSnapshots(SeedSnapshotChoice.Off), EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
            {
                sessionId = session.Id;
                await StartAsync(session);
                var container = session.State.Daemon!.ContainerName;
                var inner = DockerCli.EnvironmentFor(session.State.Daemon.Endpoint);

                Assert.DoesNotContain("/dindbuild-seed", await DockerCli.OutputAsync(["inspect", "--format", "{{range .Mounts}}{{.Destination}} {{end}}", container]), StringComparison.Ordinal);
                Assert.False((await DockerCli.RunAsync(["image", "inspect", image], environment: inner)).ExitCode == 0, "the image was there before SeedImages");
                await session.SeedImagesAsync(Cancel);
                Assert.Equal(await ImageIdAsync(image), await ImageIdAsync(image, inner));
            }

            await AssertNothingLeftButSnapshotsAsync(sessionId);
            Assert.Empty(await SnapshotVolumesOfAsync(image));
        }
        finally
        {
            await RemoveSnapshotsOfAsync(image);
        }
    }

    private static DindSettings Settings(TempDirectory context)
    {
        File.WriteAllText(Path.Combine(context.Path, "Dockerfile"), "FROM scratch\nCOPY Dockerfile /\n");
        var settings = new DindSettings(RepositoryRoot.Path).WithContextDirectory(context.Path).WithDockerMode(DockerMode.Dind);
        return settings.WithImageTag($"dindbuild-snapshot-test-{settings.SessionId}:latest");
    }

    private static async Task StartAsync(DindSession session)
    {
        await session.StartDaemonAsync(Cancel);
        await session.WaitForDaemonAsync(Cancel);
    }

    private static async Task<string> ImageIdAsync(string image, IReadOnlyDictionary<string, string?>? environment = null) =>
        await DockerCli.OutputAsync(["image", "inspect", "--format", "{{.Id}}", image], environment: environment);

    /// <summary>The session's resources are gone, and so are the snapshot makers and their locks: only cache volumes stay.</summary>
    private static async Task AssertNothingLeftButSnapshotsAsync(string sessionId)
    {
        Assert.Empty(await DockerCli.LabelledResourcesAsync(sessionId));

        // Another test's snapshot maker may hold a lock right now: that one goes within seconds, a leaked one never.
        Assert.Empty(await DockerCli.ContainersLeftAsync("name=dindbuild-cache-lock-dindbuild-seed-"));
        Assert.Empty(await DockerCli.OutputAsync(["ps", "-aq", "--filter", $"name=dindbuild-{sessionId}-seed"]));
        Assert.False(Directory.Exists(SessionNames.PrivateDirectory(sessionId)));
    }

    /// <summary>The markers of the snapshot volumes that hold <paramref name="image"/>, read through a container of their own.</summary>
    private static async Task<IReadOnlyList<string>> SnapshotsOfAsync(string image)
    {
        var markers = new List<string>();
        foreach (var volume in await SnapshotVolumesOfAsync(image))
        {
            markers.Add(await MarkerAsync(volume) ?? "");
        }

        return markers;
    }

    private static async Task<IReadOnlyList<string>> SnapshotVolumesOfAsync(string image)
    {
        var found = new List<string>();
        foreach (var volume in (await DockerCli.OutputAsync(["volume", "ls", "-q", "--filter", SnapshotFilter])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (await MarkerAsync(volume) is { } marker && marker.Contains($"image {image} ", StringComparison.Ordinal))
            {
                found.Add(volume);
            }
        }

        return found;
    }

    private static async Task<string?> MarkerAsync(string volume)
    {
        var read = await DockerCli.RunAsync(["run", "--rm", "--network", "none", "-v", $"{volume}:/s:ro", "--entrypoint", "cat", "dindbuild/dind:trixie", "/s/complete"]);
        return read.ExitCode == 0 ? read.StandardOutput : null;
    }

    private static async Task RemoveSnapshotsOfAsync(string image)
    {
        foreach (var volume in await SnapshotVolumesOfAsync(image))
        {
            await DockerCli.RunAsync(["volume", "rm", volume]);
        }
    }
}
