using DindBuild.Diagnostics;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using DindBuild.Trust;

namespace DindBuild.Tests.Integration;

/// <summary>
/// --registry-mirror and --registry-ca against a real registry (TLS from a test CA, on the session's network), with
/// no --extra-ca-cert: an image the docker CLI pushed there as <c>library/NAME</c>, and that the host engine does not
/// have, is what <c>FROM NAME</c> builds on, and the tested image is pushed back to that registry and pulled by the
/// docker CLI. Without the CA the same mirror fails SeedImages naming the mirror, and the push fails with exit 6.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class RegistryMirrorAndCaTests(EngineFixture engine)
{
    private const string RegistryName = "registry.test";
    private const string Python = "dindbuild/python:trixie";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_FROM_image_comes_through_the_mirror_and_the_push_works_with_only_the_registry_CA_and_neither_does_without_it()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var files = new TempDirectory();
        var (registry, published) = await TestRegistry.StartAsync(harness, RegistryName, files.Combine("ca.pem"));
        var mirrored = $"mirrored-{harness.Id}";

        // Into the registry by the docker CLI alone, as Docker Hub's library/NAME; then gone from the host engine.
        var pushed = $"{published}/library/{mirrored}:latest";
        await DockerCli.OutputAsync(["tag", Python, pushed]);
        var push = await DockerCli.RunAsync(["push", pushed]);
        await DockerCli.OutputAsync(["rmi", pushed]);
        Assert.True(push.ExitCode == 0, push.StandardError);
        Assert.NotEqual(0, (await DockerCli.RunAsync(["image", "inspect", mirrored])).ExitCode);

        var registryHost = $"{RegistryName}:{TestRegistry.Port}";
        var reference = $"{registryHost}/team/mirrored-app:{harness.Id}";
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"FROM {mirrored}\nRUN echo {harness.Id} > /built.txt\n", Cancel);
        var settings = new DindSettings(RepositoryRoot.Path).WithContextDirectory(context.Path).WithDockerMode(DockerMode.Dind)
            .WithHostArtifactsDirectory(files.Combine("artifacts")).WithTestReportRequired(false).WithTestCommand("cat /built.txt")
            .WithRegistryMirror($"https://{registryHost}")
            .WithImageTag($"dindbuild-mirrored-{harness.Id}:latest").WithPublishReference(reference);
        var withCa = settings.WithRegistryCa(RegistryCa.Parse($"{registryHost}={files.Combine("ca.pem")}", path => path, DateTimeOffset.UtcNow));
        var log = new CapturingLog(new SecretMasker());

        string digest;
        await using (var session = DindSession.Create(withCa, log.Logger, SessionSteps.Services(log.Logger)))
        {
            await JoinedAsync(session, registry, async () =>
            {
                await session.SeedImagesAsync(Cancel);
                await session.BuildImageAsync(Cancel);
                await session.RunTestsAsync(Cancel);
                await session.PublishImageAsync(Cancel);
            });
            Assert.Contains($"pulling it through the registry mirror https://{registryHost}", log.Text, StringComparison.Ordinal);
            var record = Assert.Single(session.History().Published);
            digest = record[(record.IndexOf('@', StringComparison.Ordinal) + 1)..];
        }

        // The registry serves what was pushed: the docker CLI pulls it by digest and it holds the build's file.
        var pullBack = $"{published}/team/mirrored-app@{digest}";
        var pulled = await DockerCli.RunAsync(["pull", pullBack]);
        harness.RemoveImageAfterwards(pullBack);
        Assert.True(pulled.ExitCode == 0, pulled.StandardError);
        Assert.Equal(harness.Id, (await DockerCli.OutputAsync(["run", "--rm", pullBack, "cat", "/built.txt"])).Trim());

        // Without the CA: the mirror is not trusted (SeedImages says it was tried), and neither is the push.
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"FROM {Python}\nRUN echo {harness.Id} > /built.txt\n", Cancel);
        var withoutCa = settings.WithSessionId(BuildScript.NewSessionId()).WithSeedImage(mirrored);
        await using (var session = DindSession.Create(withoutCa, log.Logger, SessionSteps.Services(log.Logger)))
        {
            await JoinedAsync(session, registry, async () =>
            {
                var missing = await Assert.ThrowsAsync<DindBuildException>(() => session.SeedImagesAsync(Cancel));
                Assert.Equal(FailureKind.BuildFailed, missing.Kind);
                Assert.Contains($"from its registry mirror https://{registryHost} nor from Docker Hub", missing.Evidence, StringComparison.Ordinal);
                Assert.Contains("--registry-ca HOST=FILE", missing.HowToFix, StringComparison.Ordinal);

                await session.BuildImageAsync(Cancel);
                await session.RunTestsAsync(Cancel);
                var refused = await Assert.ThrowsAsync<DindBuildException>(() => session.PublishImageAsync(Cancel));
                Assert.Equal(6, ExitCodes.For(refused));
                Assert.Contains("certificate", refused.Evidence, StringComparison.OrdinalIgnoreCase);
            });
        }
    }

    /// <summary>StartDaemon and WaitForDaemon, the registry on the session's network as <see cref="RegistryName"/>, the steps, then off it again.</summary>
    private static async Task JoinedAsync(DindSession session, string registry, Func<Task> steps)
    {
        await session.StartDaemonAsync(Cancel);
        await session.WaitForDaemonAsync(Cancel);
        var network = SessionNames.Network(session.Id);
        await DockerCli.OutputAsync(["network", "connect", "--alias", RegistryName, network, registry]);
        try
        {
            await steps();
        }
        finally
        {
            await DockerCli.RunAsync(["network", "disconnect", "--force", network, registry]);
        }
    }
}
