using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>What teardown removes, and where, in each mode; and when disposing a session tears it down.</summary>
public sealed class DindSessionModeTests : IDisposable
{
    private const string External = "tcp://external:2376";

    private static readonly string LocalSocket = DockerEndpoint.DefaultUnixSocket.DockerHost;

    private readonly FakeSessionHost _host = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task External_teardown_removes_exactly_the_sessions_resources_on_the_external_engine_and_never_touches_a_local_one()
    {
        var external = _host.Engines.Add(External);
        var local = _host.Engines.Add(LocalSocket);
        _host.AddSessionResources(external);
        _host.AddSessionResources(external, "other");
        _host.AddSessionResources(local);
        await using var session = _host.Continue(_host.Saved(DockerMode.External, External));

        await session.TeardownAsync();

        Assert.Empty(external.ResourcesOf(_host.SessionId));
        Assert.Equal(3, external.ResourcesOf("other").Count);
        Assert.Equal(1, external.Count("container.remove"));
        Assert.Equal(1, external.Count("volume.remove"));
        Assert.Equal(1, external.Count("network.remove"));
        Assert.Equal(3, local.ResourcesOf(_host.SessionId).Count);
        Assert.Empty(local.Calls);
        Assert.All(_host.Engines.Calls, call => Assert.Equal(External, call.Engine));
        Assert.False(session.IsOpen);
    }

    [Fact]
    public async Task Dood_teardown_removes_the_sessions_resources_on_the_host_socket_engine()
    {
        var hostEngine = _host.Engines.Add(FakeSessionHost.HostSocket);
        var local = _host.Engines.Add(LocalSocket);
        _host.AddSessionResources(local);
        await using var session = _host.Create(DockerMode.Dood);
        await session.StartDaemonAsync(Cancel);
        _host.AddSessionResources(hostEngine);
        _host.AddSessionResources(hostEngine, "other");

        await session.TeardownAsync();

        Assert.Equal(DockerMode.Dood, session.Mode);
        Assert.Empty(hostEngine.ResourcesOf(_host.SessionId));
        Assert.Equal(3, hostEngine.ResourcesOf("other").Count);
        Assert.Equal(3, local.ResourcesOf(_host.SessionId).Count);
        Assert.Empty(local.Calls);
    }

    [Fact]
    public async Task Dind_teardown_removes_the_sessions_resources_on_the_host_engine_and_its_private_directory()
    {
        var (saved, hostEngine, daemon, _) = _host.SavedDind();
        _host.AddSessionResources(hostEngine, "other");
        _host.AddSessionResources(daemon);
        await using var session = _host.Continue(saved);
        Assert.True(Directory.Exists(_host.PrivateDirectory));

        await session.TeardownAsync();

        Assert.Empty(hostEngine.ResourcesOf(_host.SessionId));
        Assert.Equal(3, hostEngine.ResourcesOf("other").Count);
        Assert.Equal(1, hostEngine.Count("container.remove"));
        Assert.Equal(1, hostEngine.Count("volume.remove"));
        Assert.Equal(1, hostEngine.Count("network.remove"));
        Assert.False(Directory.Exists(_host.PrivateDirectory));

        // Inside the daemon, everything goes with the DinD container: teardown never asks it.
        Assert.Empty(daemon.Calls);
    }

    [Fact]
    public async Task A_dind_session_saved_before_its_daemon_started_is_torn_down_on_the_host_engine_too()
    {
        var (saved, hostEngine, _, _) = _host.SavedDind();
        await using var session = _host.Continue(saved with { Daemon = null });

        await session.TeardownAsync();

        Assert.Empty(hostEngine.ResourcesOf(_host.SessionId));
        Assert.False(Directory.Exists(_host.PrivateDirectory));
    }

    [Theory]
    [InlineData(null, DockerMode.Dind)]
    [InlineData("tcp://docker:2376", DockerMode.External)]
    public async Task A_new_session_in_auto_mode_is_external_when_DOCKER_HOST_is_set_else_dind(string? dockerHost, DockerMode expected)
    {
        if (dockerHost is not null)
        {
            _host.Environment["DOCKER_HOST"] = dockerHost;
        }

        await using var session = _host.Create(DockerMode.Auto);

        Assert.Equal(expected, session.Mode);
        Assert.False(session.IsOpen);
        Assert.Empty(_host.Engines.Calls);
    }

    [Fact]
    public async Task Teardown_of_a_session_that_was_never_started_touches_no_engine()
    {
        _host.AddSessionResources(_host.Engines.Add(FakeSessionHost.HostSocket));
        var session = _host.Create(DockerMode.Dood);

        await session.TeardownAsync();
        await session.DisposeAsync();

        Assert.Empty(_host.Engines.Calls);
        Assert.DoesNotContain(_host.Listener.Events, e => e.StartsWith("removed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Disposing_a_started_session_that_was_not_kept_tears_it_down()
    {
        var hostEngine = _host.Engines.Add(FakeSessionHost.HostSocket);
        var session = _host.Create(DockerMode.Dood);
        await session.StartDaemonAsync(Cancel);
        _host.AddSessionResources(hostEngine);

        await session.DisposeAsync();

        Assert.Empty(hostEngine.ResourcesOf(_host.SessionId));
        Assert.Contains($"removed {_host.SessionId}", _host.Listener.Events);
    }

    [Fact]
    public async Task Disposing_a_continued_session_tears_it_down()
    {
        var (saved, hostEngine, _, _) = _host.SavedDind();
        var session = _host.Continue(saved);

        await session.DisposeAsync();

        Assert.Empty(hostEngine.ResourcesOf(_host.SessionId));
        Assert.False(Directory.Exists(_host.PrivateDirectory));
    }

    [Fact]
    public async Task Disposing_a_kept_session_leaves_its_resources_and_its_saved_state()
    {
        var hostEngine = _host.Engines.Add(FakeSessionHost.HostSocket);
        _host.AddSessionResources(hostEngine);
        var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));

        await session.KeepAsync(Cancel);
        await session.DisposeAsync();

        Assert.Equal(3, hostEngine.ResourcesOf(_host.SessionId).Count);
        Assert.Equal(0, hostEngine.Count("container.remove") + hostEngine.Count("volume.remove") + hostEngine.Count("network.remove"));
        Assert.Equal(1, hostEngine.Count("version"));
        Assert.Equal(["state Dood"], _host.Listener.Events);
    }

    [Fact]
    public async Task Disposing_a_kept_dind_session_leaves_its_container_and_private_directory()
    {
        var (saved, hostEngine, daemon, _) = _host.SavedDind();
        var session = _host.Continue(saved);

        await session.KeepAsync(Cancel);
        await session.DisposeAsync();

        Assert.Equal(3, hostEngine.ResourcesOf(_host.SessionId).Count);
        Assert.True(Directory.Exists(_host.PrivateDirectory));
        Assert.Equal(1, daemon.Count("ping"));
        Assert.Equal(saved.Daemon, _host.Listener.States.Single().Daemon);
    }
}
