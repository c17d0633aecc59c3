using DindBuild.Settings;
using DindBuild.Sessions;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// The user-namespace probe's answer remembered on a real engine (issue 17): the second start in a repository runs no
/// probe container, and its inner containers are still remapped, as the DinD container's kernel shows them.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class InnerUsernsMemoryEngineTests(EngineFixture engine)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_second_start_trusts_the_first_probe_and_its_inner_containers_are_still_remapped()
    {
        engine.RequireEngine();

        // A repository of its own: its state directory holds only what this test's runs remember.
        using var repository = new TempDirectory();
        var settings = new DindSettings(repository.Path)
            .WithContextDirectory(Path.Combine(RepositoryRoot.Path, "samples", "calculator"))
            .WithPrivilegeProfile(PrivilegeProfile.Capabilities);

        await using (var first = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
        {
            await first.StartDaemonAsync(Cancel);
            await first.WaitForDaemonAsync(Cancel);
            Assert.True(first.State.Daemon!.InnerUserns, first.State.Daemon.InnerUsernsOffReason);
            Assert.Equal("dindbuild/userns-probe:latest", await InnerAsync(first, ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "dindbuild/userns-probe"]));
            await first.TeardownAsync();
        }

        var remembered = Assert.Single(Directory.GetFiles(Path.Combine(repository.Path, ".dindbuild", "engines"), "userns-*.json"));
        Assert.Contains("\"Failure\":null", await File.ReadAllTextAsync(remembered, Cancel), StringComparison.Ordinal);

        await using var second = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        try
        {
            await second.StartDaemonAsync(Cancel);
            await second.WaitForDaemonAsync(Cancel);
            Assert.True(second.State.Daemon!.InnerUserns);

            // No probe ran in this daemon: its image was never imported.
            Assert.Equal("", await InnerAsync(second, ["image", "ls", "--format", "{{.Repository}}", "dindbuild/userns-probe"]));

            // Still in a user namespace, through the DinD container's view of the kernel: root in an inner container
            // is mapped to a uid other than 0.
            await second.SeedImagesAsync(Cancel);
            var name = $"{second.State.SessionId}-userns-check";
            await InnerAsync(second, ["run", "-d", "--name", name, "dindbuild/python:trixie", "sleep", "300"]);
            var pid = await InnerAsync(second, ["inspect", "--format", "{{.State.Pid}}", name]);
            var uidMap = (await DockerCli.OutputAsync(["exec", second.State.Daemon.ContainerId, "cat", $"/proc/{pid}/uid_map"])).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("0", uidMap[0]);
            Assert.NotEqual("0", uidMap[1]);
        }
        finally
        {
            await second.TeardownAsync();
        }
    }

    private static Task<string> InnerAsync(DindSession session, string[] arguments) =>
        DockerCli.OutputAsync(["exec", session.State.Daemon!.ContainerId, "docker", .. arguments]);
}
