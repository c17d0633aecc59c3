using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Issue 13 item 2, on a real image: DindBuild's state (.dindbuild/) and the artifacts directory never land in an image,
/// with no .dockerignore at all. The image is built in dood mode (on the host engine) and inspected with the docker CLI.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class StateOutsideContextTests(EngineFixture engine)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_context_with_state_and_artifacts_and_no_dockerignore_builds_an_image_without_them()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nCOPY . /ctx/\n", Cancel);
        await File.WriteAllTextAsync(context.Combine("app.txt"), "app", Cancel);
        Directory.CreateDirectory(context.Combine(".dindbuild", "sessions"));
        await File.WriteAllTextAsync(context.Combine(".dindbuild", "secret"), "tcp://127.0.0.1:2376", Cancel);
        await File.WriteAllTextAsync(context.Combine(".dindbuild", "sessions", "t1.env"), "DOCKER_HOST=tcp://127.0.0.1:2376", Cancel);
        Directory.CreateDirectory(context.Combine("artifacts"));
        await File.WriteAllTextAsync(context.Combine("artifacts", "dindbuild-log.jsonl"), "{}", Cancel);
        var session = BuildScript.NewSessionId();
        var tag = $"dindbuild-never-sent-{session}:test";
        var settings = new DindSettings(RepositoryRoot.Path)
            .WithSessionId(session)
            .WithDockerMode(DockerMode.Dood)
            .WithContextDirectory(context.Path)
            .WithHostArtifactsDirectory(context.Combine("artifacts"))
            .WithImageTag(tag);
        try
        {
            await using (var pipeline = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
            {
                await SessionSteps.StartAndBuildAsync(pipeline);

                var listing = await DockerCli.OutputAsync(["run", "--rm", "--entrypoint", "find", tag, "/ctx"]);
                var files = listing.Split('\n').Select(line => line.Trim()).ToList();
                Assert.Contains("/ctx/app.txt", files);
                Assert.Contains("/ctx/Dockerfile", files);
                Assert.DoesNotContain(files, file => file.Contains(".dindbuild", StringComparison.Ordinal) || file.Contains("/ctx/artifacts", StringComparison.Ordinal));
            }

            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }
        finally
        {
            await DockerCli.RunAsync(["rmi", "-f", tag]);
        }
    }
}
