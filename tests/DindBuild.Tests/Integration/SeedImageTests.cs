using DindBuild.Diagnostics;
using DindBuild.Images;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// --seed-image and --seed-archive against real daemons, checked with the docker CLI on the DinD daemon: an image
/// only the tests use is there to <c>docker run</c>, an image from an archive needs no host-engine image of its
/// name, and an image that is nowhere fails SeedImages with where it was looked for. Images are retags of
/// dindbuild/python:trixie (no new layers on the host) and a one-file scratch image; the Dockerfiles are tiny.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class SeedImageTests(EngineFixture engine)
{
    private const string Python = "dindbuild/python:trixie";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_seed_image_can_be_run_in_the_DinD_daemon_and_one_that_is_nowhere_fails_SeedImages_with_where_it_was_looked_for()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM scratch\nCOPY Dockerfile /\n", Cancel);
        var helper = $"dindbuild-seeded-{harness.Id}:1";
        var nowhere = $"dindbuild-nowhere-{harness.Id}:1";
        await DockerCli.OutputAsync(["tag", Python, helper]);
        harness.RemoveImageAfterwards(helper);

        var settings = Settings(context).WithSeedImage(helper);
        await using (var session = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
        {
            await StartAsync(session);
            var inner = DockerCli.EnvironmentFor(session.State.Daemon!.Endpoint);

            // It may be there before SeedImages already, from the seed snapshot (SeedSnapshotEngineTests): SeedImages keeps it.
            await session.SeedImagesAsync(Cancel);

            Assert.Equal("seeded-ok", await DockerCli.OutputAsync(["run", "--rm", helper, "python3", "-c", "print('seeded-ok')"], environment: inner));
        }

        await using var missing = DindSession.Create(Settings(context).WithSeedImage(nowhere), EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        await StartAsync(missing);
        var failure = await Assert.ThrowsAsync<DindBuildException>(() => missing.SeedImagesAsync(Cancel));
        Assert.Equal(FailureKind.BuildFailed, failure.Kind);
        Assert.Contains($"The image {nowhere} is nowhere", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains($"{nowhere} (needed by --seed-image): not in the session's daemon; not on the host engine at", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("could not pull it", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--seed-archive FILE", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_archives_tar_and_tar_gz_bring_images_the_host_engine_does_not_have()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var files = new TempDirectory();
        var runnable = $"dindbuild-archived-{harness.Id}:1";
        var tiny = $"dindbuild-archived-tiny-{harness.Id}:1";

        // A .tar of a runnable image (a retag: no new layers), and a .tar.gz of a one-file scratch image.
        await DockerCli.OutputAsync(["tag", Python, runnable]);
        harness.RemoveImageAfterwards(runnable);
        await DockerCli.OutputAsync(["save", "-o", files.Combine("runnable.tar"), runnable]);
        await File.WriteAllTextAsync(files.Combine("archived.txt"), "from-the-archive\n", Cancel);
        await File.WriteAllTextAsync(files.Combine("Dockerfile"), "FROM scratch\nCOPY archived.txt /archived.txt\n", Cancel);
        await DockerCli.OutputAsync(["build", "-q", "--label", harness.Label, "-t", tiny, files.Path]);
        harness.RemoveImageAfterwards(tiny);
        await DockerCli.OutputAsync(["save", "-o", files.Combine("tiny.tar"), tiny]);
        var gzip = await CliWrap.Cli.Wrap("gzip").WithArguments(["-1", files.Combine("tiny.tar")]).ExecuteAsync(Cancel);
        Assert.Equal(0, gzip.ExitCode);
        await DockerCli.OutputAsync(["rmi", runnable, tiny]);
        Assert.NotEqual(0, (await DockerCli.RunAsync(["image", "inspect", runnable])).ExitCode);

        // The build copies from the archived image: COPY --from images are found like FROM images, here in the archive.
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"FROM scratch\nCOPY --from={tiny} /archived.txt /copied.txt\n", Cancel);
        var settings = Settings(context)
            .WithSeedArchive(SeedArchive.Load(files.Combine("runnable.tar")))
            .WithSeedArchive(SeedArchive.Load(files.Combine("tiny.tar.gz")))
            .WithSeedImage(runnable);
        Assert.Equal([runnable], settings.SeedArchives[0].Images);
        Assert.True(settings.SeedArchives[1].Compressed);

        await using var session = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        await StartAsync(session);
        await session.SeedImagesAsync(Cancel);
        await session.BuildImageAsync(Cancel);

        var inner = DockerCli.EnvironmentFor(session.State.Daemon!.Endpoint);
        Assert.Equal("archived-ok", await DockerCli.OutputAsync(["run", "--rm", runnable, "python3", "-c", "print('archived-ok')"], environment: inner));
        var built = await DockerCli.OutputAsync(["create", settings.ImageTag, "/none"], environment: inner);
        try
        {
            var copied = await DockerCli.OutputAsync(["cp", $"{built}:/copied.txt", "-"], environment: inner);
            Assert.Contains("from-the-archive", copied, StringComparison.Ordinal);
        }
        finally
        {
            await DockerCli.RunAsync(["rm", built], environment: inner);
        }

        Assert.NotEqual(0, (await DockerCli.RunAsync(["image", "inspect", runnable])).ExitCode);
    }

    private static DindSettings Settings(TempDirectory context)
    {
        var settings = new DindSettings(RepositoryRoot.Path).WithContextDirectory(context.Path).WithDockerMode(DockerMode.Dind);
        return settings.WithImageTag($"dindbuild-seed-test-{settings.SessionId}:latest");
    }

    private static async Task StartAsync(DindSession session)
    {
        await session.StartDaemonAsync(Cancel);
        await session.WaitForDaemonAsync(Cancel);
    }
}
