using DindBuild.Diagnostics;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>A session saved by one process and continued by a later one: its mode, its endpoints, and what the listener is told.</summary>
public sealed class DindSessionContinuationTests : IDisposable
{
    private readonly FakeSessionHost _host = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_continued_session_keeps_its_mode_even_where_auto_would_choose_another()
    {
        var hostEngine = _host.Engines.Add(FakeSessionHost.HostSocket);
        var elsewhere = _host.Engines.Add("tcp://elsewhere:2376");
        _host.Environment["DOCKER_HOST"] = "tcp://elsewhere:2376";
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));

        await session.WaitForDaemonAsync(Cancel);
        await session.KeepAsync(Cancel);

        Assert.Equal(DockerMode.Dood, session.Mode);
        Assert.Equal("dood", session.Report().Mode);
        Assert.Equal(_host.SessionId, session.Report().SessionId);
        Assert.Equal(1, hostEngine.Count("info"));
        Assert.Empty(elsewhere.Calls);
    }

    [Fact]
    public async Task A_continued_external_session_keeps_its_endpoint_when_DOCKER_HOST_changed()
    {
        var external = _host.Engines.Add("tcp://external:2376");
        var elsewhere = _host.Engines.Add("tcp://elsewhere:2376");
        _host.Environment["DOCKER_HOST"] = "tcp://elsewhere:2376";
        await using var session = _host.Continue(_host.Saved(DockerMode.External, "tcp://external:2376"));

        await session.WaitForDaemonAsync(Cancel);
        await session.KeepAsync(Cancel);

        Assert.Equal("external", session.Report().Mode);
        Assert.Equal(1, external.Count("info"));
        Assert.Empty(elsewhere.Calls);
        Assert.Equal("tcp://external:2376", session.ClientEnvironment()["DOCKER_HOST"]);
        Assert.All(_host.Listener.States, state => Assert.Equal("tcp://external:2376", state.ResourceEngineHost));
    }

    [Fact]
    public void Continuing_in_an_explicitly_different_mode_is_an_error_that_names_both_and_says_how_to_fix()
    {
        _host.Engines.Add(FakeSessionHost.HostSocket);

        var failure = Assert.Throws<DindBuildException>(() => _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket), DockerMode.Dind));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("dood", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("dind", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains(_host.SessionId, failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("'--docker-mode'", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains($"Teardown --session-id {_host.SessionId}", failure.HowToFix, StringComparison.Ordinal);
        Assert.Empty(_host.Engines.Calls);
    }

    [Fact]
    public async Task Continuing_in_the_same_explicit_mode_is_fine()
    {
        _host.Engines.Add(FakeSessionHost.HostSocket);
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket), DockerMode.Dood);

        await session.KeepAsync(Cancel);

        Assert.Equal(DockerMode.Dood, session.Mode);
    }

    [Fact]
    public async Task The_listener_is_told_the_state_after_every_step_and_the_removal_after_teardown()
    {
        _host.Engines.Add(FakeSessionHost.HostSocket);
        await using var session = _host.Create(DockerMode.Dood);

        await session.StartDaemonAsync(Cancel);
        var afterStart = _host.Listener.States.Count;
        await session.WaitForDaemonAsync(Cancel);
        var afterWait = _host.Listener.States.Count;
        await session.TeardownAsync();

        Assert.True(afterStart >= 1);
        Assert.True(afterWait > afterStart);
        Assert.All(_host.Listener.States, state =>
        {
            Assert.Equal(_host.SessionId, state.SessionId);
            Assert.Equal(DockerMode.Dood, state.Mode);
            Assert.Equal(FakeSessionHost.HostSocket, state.DockerHost);
            Assert.Equal(FakeSessionHost.HostSocket, state.ResourceEngineHost);
        });
        var last = _host.Listener.States[^1];
        Assert.Equal(["ProvisionEngine", "StartDaemon", "WaitForDaemon"], last.History.Steps.Select(step => step.Step));
        Assert.StartsWith("Docker 28.5.1", last.History.DaemonVersion, StringComparison.Ordinal);

        var events = _host.Listener.Events;
        Assert.Equal($"removed {_host.SessionId}", events[events.IndexOf("start Teardown") + 1]);
        Assert.Equal("finish Teardown ok", events[^1]);
        Assert.Equal(afterWait, _host.Listener.States.Count);
    }

    [Fact]
    public async Task The_state_of_a_dind_session_names_its_daemon_and_the_host_engine_holding_its_resources()
    {
        var (saved, _, _, _) = _host.SavedDind();
        await using var session = _host.Continue(saved with { DockerHost = "unix:///stale.sock", ResourceEngineHost = FakeSessionHost.HostSocket });

        await session.WaitForDaemonAsync(Cancel);
        await session.KeepAsync(Cancel);

        var state = _host.Listener.States[^1];
        Assert.Equal(DockerMode.Dind, state.Mode);
        Assert.Equal(saved.Daemon, state.Daemon);
        Assert.Equal(saved.Daemon!.Endpoint.DockerHost, state.DockerHost);
        Assert.Equal(FakeSessionHost.HostSocket, state.ResourceEngineHost);
        Assert.Equal(saved.Daemon.Endpoint, session.OwnDaemonEndpoint);
    }

    [Fact]
    public async Task A_session_that_was_never_started_saves_no_state()
    {
        var hostEngine = _host.Engines.Add(FakeSessionHost.HostSocket);
        var session = _host.Create(DockerMode.Dood);

        await session.ProvisionEngineAsync(Cancel);
        await session.KeepAsync(Cancel);
        await session.DisposeAsync();

        Assert.Equal(["start ProvisionEngine", "finish ProvisionEngine ok"], _host.Listener.Events);
        Assert.Empty(_host.Listener.States);
        Assert.Equal(1, hostEngine.Count("version"));
        Assert.False(session.WasOpened);
    }

    [Fact]
    public async Task A_step_that_needs_a_started_session_fails_before_any_engine_call_and_saves_nothing()
    {
        _host.Engines.Add(FakeSessionHost.HostSocket);
        await using var session = _host.Create(DockerMode.Dood);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.RunTestsAsync(Cancel));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("was not started", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Empty(_host.Engines.Calls);
        Assert.Empty(_host.Listener.States);
    }
}
