using DindBuild.Diagnostics;
using DindBuild.Images;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>SeedImages over fakes: --seed-image and --seed-archive reach the session daemon, and what is nowhere fails early with where it was looked for.</summary>
public sealed class SeedImagesStepTests : IDisposable
{
    private readonly FakeSessionHost _host = new();
    private readonly TempDirectory _files = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _files.Dispose();
        _host.Dispose();
    }

    [Fact]
    public async Task Dind_copies_a_seed_image_from_the_host_engine_into_the_daemon()
    {
        var (saved, hostEngine, daemon, _) = _host.SavedDind();
        hostEngine.AddImage("helper:1");
        await using var session = _host.Continue(saved, _host.Options(DockerMode.Dind).WithSeedImage("helper:1"), Logger.None);

        await session.SeedImagesAsync(Cancel);

        Assert.True(daemon.HasImage("helper:1"));
        Assert.Equal(1, hostEngine.Count("image.save"));
        Assert.Equal(1, daemon.Count("image.load"));
        Assert.Equal(0, daemon.Count("image.pull"));
    }

    [Fact]
    public async Task Dind_pulls_a_seed_image_the_host_lacks_when_the_daemon_can()
    {
        var (saved, _, daemon, _) = _host.SavedDind();
        daemon.Pullable.Add("helper:1");
        await using var session = _host.Continue(saved, _host.Options(DockerMode.Dind).WithSeedImage("helper:1"), Logger.None);

        await session.SeedImagesAsync(Cancel);

        Assert.True(daemon.HasImage("helper:1"));
        Assert.Equal(1, daemon.Count("image.pull"));
    }

    [Fact]
    public async Task A_seed_image_that_is_nowhere_fails_the_step_with_where_it_was_looked_for_and_how_to_provide_it()
    {
        var (saved, _, daemon, _) = _host.SavedDind();
        File.WriteAllText(Path.Combine(_host.Options().ContextDirectory, "Dockerfile"), "FROM base:1\nCOPY --from=tools:2 /bin/x /x\n");
        await using var session = _host.Continue(saved, _host.Options(DockerMode.Dind).WithSeedImage("helper:1"), Logger.None);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.SeedImagesAsync(Cancel));

        Assert.Equal(FailureKind.BuildFailed, failure.Kind);
        Assert.Contains("3 images are nowhere", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains($"helper:1 (needed by --seed-image): not in the session's daemon; not on the host engine at {FakeSessionHost.HostSocket}", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("base:1 (needed by the Dockerfile)", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("tools:2 (needed by the Dockerfile)", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("could not pull it: Get \"https://registry-1.docker.io/v2/\"", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--seed-archive FILE", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("docker pull", failure.HowToFix, StringComparison.Ordinal);
        Assert.Equal(3, daemon.Count("image.pull"));
    }

    [Fact]
    public async Task Dood_only_checks_that_a_seed_image_is_on_the_host_engine()
    {
        var hostEngine = _host.Engines.Add(FakeSessionHost.HostSocket);
        hostEngine.AddImage("helper:1");
        await using var session = DindBuild.Sessions.DindSession.Create(_host.Options(DockerMode.Dood).WithSeedImage("helper:1"), Logger.None, _host.Services());
        await session.StartDaemonAsync(Cancel);

        await session.SeedImagesAsync(Cancel);

        Assert.Equal(0, hostEngine.Count("image.save"));
        Assert.Equal(0, hostEngine.Count("image.load"));
        Assert.Equal(0, hostEngine.Count("image.pull"));
    }

    [Fact]
    public async Task Dood_fails_for_a_seed_image_the_host_engine_lacks()
    {
        _host.Engines.Add(FakeSessionHost.HostSocket);
        await using var session = DindBuild.Sessions.DindSession.Create(_host.Options(DockerMode.Dood).WithSeedImage("helper:1"), Logger.None, _host.Services());
        await session.StartDaemonAsync(Cancel);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.SeedImagesAsync(Cancel));

        Assert.Equal(FailureKind.BuildFailed, failure.Kind);
        Assert.Contains("The image helper:1 is nowhere", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("dood mode", failure.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_seed_archive_is_loaded_before_seeding_so_its_images_need_no_host_engine()
    {
        var (saved, hostEngine, daemon, _) = _host.SavedDind();
        var path = _files.Combine("helper.tar");
        await using (var file = File.Create(path))
        {
            await FakeEngine.SavedArchive("helper:1").CopyToAsync(file, Cancel);
        }

        var options = _host.Options(DockerMode.Dind).WithSeedArchive(SeedArchive.Load(path)).WithSeedImage("helper:1");
        await using var session = _host.Continue(saved, options, Logger.None);

        await session.SeedImagesAsync(Cancel);

        Assert.True(daemon.HasImage("helper:1"));
        Assert.Equal(1, daemon.Count("image.load"));
        Assert.Equal(0, hostEngine.Count("image.save"));
        Assert.Equal(0, daemon.Count("image.pull"));
    }

    [Fact]
    public async Task With_registry_credentials_a_dockerfile_image_the_anonymous_pull_misses_is_left_to_the_build()
    {
        var (saved, _, daemon, _) = _host.SavedDind();
        await using var session = _host.Continue(saved, WithPrivateBase(), Logger.None);

        await session.SeedImagesAsync(Cancel);

        Assert.Equal(1, daemon.Count("image.pull"));
    }

    [Fact]
    public async Task With_registry_credentials_a_seed_image_that_is_nowhere_still_fails()
    {
        var (saved, _, _, _) = _host.SavedDind();
        await using var session = _host.Continue(saved, WithPrivateBase().WithSeedImage("helper:1"), Logger.None);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.SeedImagesAsync(Cancel));

        Assert.Contains("The image helper:1 is nowhere", failure.WhatFailed, StringComparison.Ordinal);
        Assert.DoesNotContain("private.example/base:1", failure.Evidence, StringComparison.Ordinal);
    }

    private DindSettings WithPrivateBase()
    {
        File.WriteAllText(Path.Combine(_host.Options().ContextDirectory, "Dockerfile"), "FROM private.example/base:1\n");
        return _host.Options(DockerMode.Dind)
            .WithRegistryCredentials(RegistryCredential.ParseAuthConfig("""{"auths":{"private.example":{"auth":"dXNlcjpwYXNz"}}}"""));
    }
}
