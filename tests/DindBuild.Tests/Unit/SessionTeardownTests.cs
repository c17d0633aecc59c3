using DindBuild.Diagnostics;
using DindBuild.Sessions;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

public sealed class SessionTeardownTests
{
    private static FakeDockerEngine EngineWithTwoSessions()
    {
        var engine = new FakeDockerEngine();
        engine.ContainerList.AddRange([("c1aaaaaaaaaaaaaa", "s1"), ("c2aaaaaaaaaaaaaa", "s1"), ("c3aaaaaaaaaaaaaa", "other")]);
        engine.VolumeList.AddRange([("v1", "s1"), ("v2", "other")]);
        engine.NetworkList.AddRange([("n1aaaaaaaaaaaaaa", "s1")]);
        return engine;
    }

    [Fact]
    public async Task Removes_only_the_sessions_resources_containers_before_volumes_before_networks()
    {
        var engine = EngineWithTwoSessions();

        var removed = await new SessionTeardown(engine, Logger.None).TeardownAsync("s1", socketDirectory: null);

        Assert.Equal(4, removed);
        Assert.Equal(["c1aaaaaaaaaaaaaa", "c2aaaaaaaaaaaaaa", "v1", "n1aaaaaaaaaaaaaa"], engine.RemovalOrder);
        Assert.Equal([("c3aaaaaaaaaaaaaa", "other")], engine.ContainerList);
        Assert.Equal([("v2", "other")], engine.VolumeList);
    }

    [Fact]
    public async Task A_failed_removal_does_not_stop_the_others_and_all_failures_are_reported_together()
    {
        var engine = EngineWithTwoSessions();
        engine.FailingRemovals.Add("c1aaaaaaaaaaaaaa");
        engine.FailingRemovals.Add("v1");

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => new SessionTeardown(engine, Logger.None).TeardownAsync("s1", null));

        Assert.Equal(FailureKind.Infrastructure, failure.Kind);
        Assert.Contains("could not remove 2 resource(s); 2 were removed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("c1aaaaaaaaaa: c1aaaaaaaaaaaaaa is busy", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("volume v1: v1 is busy", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("org.dindbuild.session=s1", failure.HowToFix, StringComparison.Ordinal);
        Assert.DoesNotContain(engine.ContainerList, c => c.Id == "c2aaaaaaaaaaaaaa");
        Assert.Empty(engine.NetworkList);
    }

    [Fact]
    public async Task Removes_the_socket_directory()
    {
        using var directory = new TempDirectory();
        await File.WriteAllTextAsync(directory.Combine("docker.sock"), "", TestContext.Current.CancellationToken);

        await new SessionTeardown(new FakeDockerEngine(), Logger.None).TeardownAsync("s1", directory.Path);

        Assert.False(Directory.Exists(directory.Path));
    }

    [Fact]
    public async Task Removes_the_socket_directory_while_the_session_still_has_a_labelled_network()
    {
        // A teardown killed half-way must leave something labelled, by which the reaper finds the directory.
        using var directory = new TempDirectory();
        var engine = EngineWithTwoSessions();
        var directoryAtNetworkRemoval = true;
        engine.BeforeRemoval = what => directoryAtNetworkRemoval = what == "n1aaaaaaaaaaaaaa" ? Directory.Exists(directory.Path) : directoryAtNetworkRemoval;

        await new SessionTeardown(engine, Logger.None).TeardownAsync("s1", directory.Path);

        Assert.False(directoryAtNetworkRemoval);
    }
}
