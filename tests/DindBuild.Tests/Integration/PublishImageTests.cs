using DindBuild.Diagnostics;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using DindBuild.Trust;

namespace DindBuild.Tests.Integration;

/// <summary>
/// PublishImage against real daemons and a real registry (TLS from a test CA, on the session's network): nothing
/// leaves after failed tests; after passing ones the image is pushed (and pulled back by the docker CLI), loaded into
/// the host engine and saved as an archive that <c>docker load</c> takes. One session for all, to keep CI short.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class PublishImageTests(EngineFixture engine)
{
    private const string RegistryName = "registry.test";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Publishes_nothing_after_failed_tests_and_pushes_loads_and_saves_what_passed()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var files = new TempDirectory();
        using var artifacts = new TempDirectory();
        var (registry, published) = await TestRegistry.StartAsync(harness, RegistryName, files.Combine("ca.pem"));

        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"FROM dindbuild/python:trixie\nRUN echo {harness.Id} > /built.txt\n", Cancel);
        var settings = new DindSettings(RepositoryRoot.Path).WithContextDirectory(context.Path).WithDockerMode(DockerMode.Dind)
            .WithHostArtifactsDirectory(artifacts.Path).WithTestReportRequired(false).WithTestCommand("true")
            .WithExtraCaCertificates(CaCertificateFile.Load(files.Combine("ca.pem"), DateTimeOffset.UtcNow))
            .WithLoadIntoHost(true).WithSaveImagePath("image.tar");
        var tag = $"dindbuild-publish-{settings.SessionId}:latest";
        var pushed = $"{RegistryName}:{TestRegistry.Port}/published:{harness.Id}";
        settings = settings.WithImageTag(tag).WithPublishReference(pushed);
        harness.RemoveImageAfterwards(tag);
        var log = new CapturingLog(new SecretMasker());

        // Failed tests first, in a session of their own (a session's test command is fixed): nothing leaves.
        var failing = settings.WithSessionId(BuildScript.NewSessionId()).WithTestCommand("exit 1");
        await using (var pipeline = DindSession.Create(failing, log.Logger, SessionSteps.Services(log.Logger)))
        {
            await SessionSteps.StartAndBuildAsync(pipeline);
            var failed = await Assert.ThrowsAsync<DindBuildException>(() => pipeline.RunTestsAsync(Cancel));
            Assert.Equal(FailureKind.TestsFailed, failed.Kind);
            await pipeline.PublishImageAsync(Cancel);
            Assert.Contains("PublishImage skipped: the tests failed", log.Text, StringComparison.Ordinal);
            Assert.Empty(pipeline.History().Published);
        }

        Assert.False(File.Exists(artifacts.Combine("image.tar")));
        Assert.NotEqual(0, (await DockerCli.RunAsync(["image", "inspect", tag])).ExitCode);
        Assert.NotEqual(0, (await DockerCli.RunAsync(["pull", $"{published}/published:{harness.Id}"])).ExitCode);

        await using (var pipeline = DindSession.Create(settings, log.Logger, SessionSteps.Services(log.Logger)))
        {
            await SessionSteps.StartAndBuildAsync(pipeline);
            var network = SessionNames.Network(settings.SessionId);
            await DockerCli.OutputAsync(["network", "connect", "--alias", RegistryName, network, registry]);
            try
            {
                await pipeline.RunTestsAsync(Cancel);
                await pipeline.ExportArtifactsAsync(Cancel);
                await pipeline.PublishImageAsync(Cancel);
                var record = Assert.Single(pipeline.History().Published, entry => entry.StartsWith(pushed + "@sha256:", StringComparison.Ordinal));
                var digest = record[(pushed.Length + 1)..];
                Assert.Contains(log.Text.Split('\n'), line => line.StartsWith("Pushed ", StringComparison.Ordinal) && line.Contains(pushed, StringComparison.Ordinal) && line.Contains(digest, StringComparison.Ordinal));

                // Loaded: the host engine has the very image the session built.
                var hostId = (await DockerCli.OutputAsync(["image", "inspect", "--format", "{{.Id}}", tag])).Trim();
                Assert.Equal(pipeline.State.BuiltImageId, hostId);

                // Pushed: the host's docker CLI pulls it back by digest (127.0.0.1 is an insecure registry to the host engine).
                var pullBack = $"{published}/published@{digest}";
                var pulled = await DockerCli.RunAsync(["pull", pullBack]);
                Assert.True(pulled.ExitCode == 0, pulled.StandardError);
                harness.RemoveImageAfterwards(pullBack);
                Assert.Equal(hostId, (await DockerCli.OutputAsync(["image", "inspect", "--format", "{{.Id}}", pullBack])).Trim());
            }
            finally
            {
                await DockerCli.RunAsync(["network", "disconnect", "--force", network, registry]);
            }
        }

        // Saved: an archive docker load takes, under the artifacts directory, holding the tag.
        var archive = artifacts.Combine("image.tar");
        Assert.True(File.Exists(archive));
        Assert.False(File.Exists(archive + ".partial"));
        await DockerCli.OutputAsync(["rmi", tag]);
        var loaded = await DockerCli.RunAsync(["load", "-i", archive]);
        Assert.True(loaded.ExitCode == 0, loaded.StandardError);
        Assert.Contains(tag, loaded.StandardOutput, StringComparison.Ordinal);
    }
}
