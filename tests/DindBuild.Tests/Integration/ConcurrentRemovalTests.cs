using DindBuild.Docker;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Two clients removing one container at once, as two Reaps of the same dead session do (a CI run failed on it: the
/// engine answers the second with 409 "removal … is already in progress"). Removal wants the container gone, so both
/// succeed once it is; checked with the docker CLI.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class ConcurrentRemovalTests(EngineFixture engine)
{
    [Fact]
    public async Task Removing_a_container_another_client_is_removing_waits_for_it_to_go_and_succeeds()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var docker = DockerEngine.Connect(DockerEndpoint.DefaultUnixSocket);
        for (var round = 0; round < 5; round++)
        {
            var name = $"dindbuild-{harness.Id}-removed-{round}";
            var run = await harness.RunAsync(name, ["--network", "none", "--entrypoint", "sleep", "dindbuild/python:trixie", "600"]);
            Assert.True(run.ExitCode == 0, run.StandardError);

            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => docker.Containers.RemoveAsync(name, TestContext.Current.CancellationToken))));

            Assert.Empty(await DockerCli.OutputAsync(["ps", "-aq", "--filter", $"name={name}"]));
        }
    }
}
