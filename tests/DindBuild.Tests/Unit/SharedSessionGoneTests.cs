using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>
/// dood and external sessions live on a daemon DindBuild does not own: StartDaemon records which
/// daemon that is and leaves an anchor volume there, so that a session another checkout reaped (or
/// a daemon that was replaced) is recognised as gone instead of staying saved for ever.
/// </summary>
public sealed class SharedSessionGoneTests : IDisposable
{
    private const string ExternalHost = "tcp://external.example:2376";

    private readonly FakeSessionHost _host = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task StartDaemon_in_dood_records_the_daemon_and_leaves_a_labelled_anchor_volume_that_teardown_removes()
    {
        var engine = _host.Engines.Add(FakeSessionHost.HostSocket);
        engine.DaemonId = "HOST:ENGINE:ID";
        await using var session = _host.Create(DockerMode.Dood);

        await session.StartDaemonAsync(Cancel);

        Assert.Equal("HOST:ENGINE:ID", session.State.DaemonId);
        Assert.Equal([SessionNames.SessionAnchor(_host.SessionId)], engine.ResourcesOf(_host.SessionId));
        await session.TeardownAsync();
        Assert.Empty(engine.ResourcesOf(_host.SessionId));
    }

    [Theory]
    [InlineData(DockerMode.Dood, FakeSessionHost.HostSocket)]
    [InlineData(DockerMode.External, ExternalHost)]
    public async Task A_started_session_is_gone_once_nothing_labelled_with_it_is_left_and_not_before(DockerMode mode, string dockerHost)
    {
        var (saved, engine) = await StartedAsync(mode, dockerHost);
        _host.AddSessionResources(engine);

        Assert.Null(await WhyGoneAsync(saved));

        // The anchor alone gone (a volume prune): the test container left is still the session's, for Teardown.
        await ((IDockerEngine)engine).Volumes.RemoveAsync(SessionNames.SessionAnchor(_host.SessionId), Cancel);
        Assert.Null(await WhyGoneAsync(saved));

        await GoneSessionTests.RemoveEverythingOfAsync(engine, _host.SessionId);
        Assert.Equal($"nothing labelled org.dindbuild.session={_host.SessionId} is left on {dockerHost}", await WhyGoneAsync(saved));
    }

    [Theory]
    [InlineData(DockerMode.Dood, FakeSessionHost.HostSocket)]
    [InlineData(DockerMode.External, ExternalHost)]
    public async Task A_session_whose_endpoint_now_answers_with_another_daemon_is_gone_and_no_step_continues_it(DockerMode mode, string dockerHost)
    {
        var (saved, engine) = await StartedAsync(mode, dockerHost);

        // A CI service restarted with a fresh data root: same address, another daemon. Even a
        // resource labelled like the session there is not the session's.
        engine.DaemonId = "ANOTHER:DAEMON";
        _host.AddSessionResources(engine);

        var gone = await WhyGoneAsync(saved);
        Assert.Equal($"the daemon at {dockerHost} is another one now (docker info ID ANOTHER:DAEMON; the session was started on FAKE)", gone);

        await using var session = _host.Continue(saved);
        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.BuildImageAsync(Cancel));
        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains($"session {_host.SessionId} cannot be continued: the daemon at {dockerHost} is another one now", failure.WhatFailed, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("retrying this step cannot pass", failure.HowToFix, StringComparison.Ordinal);
        Assert.Equal(0, engine.Count("image.build"));
    }

    [Fact]
    public async Task A_session_saved_without_a_daemon_id_cannot_tell_and_is_never_taken_for_gone()
    {
        _host.Engines.Add(FakeSessionHost.HostSocket);

        // Saved by an older DindBuild, or by a StartDaemon that did not get as far as the daemon.
        Assert.Null(await WhyGoneAsync(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket)));
    }

    [Fact]
    public async Task A_daemon_that_cannot_be_asked_is_not_taken_for_a_gone_session()
    {
        var (saved, _) = await StartedAsync(DockerMode.External, ExternalHost);

        await Assert.ThrowsAsync<IOException>(() => WhyGoneAsync(saved with { DockerHost = "tcp://nobody.example:2376" }));
    }

    [Fact]
    public async Task Inner_userns_on_is_refused_where_the_daemon_is_not_DindBuilds_before_anything_is_created()
    {
        var engine = _host.Engines.Add(FakeSessionHost.HostSocket);
        await using var session = DindSession.Create(_host.Options(DockerMode.Dood).WithInnerUserns(InnerUserns.On), Logger.None, _host.Services());

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.StartDaemonAsync(Cancel));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("'--inner-userns on' needs the dind mode", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Empty(engine.ResourcesOf(_host.SessionId));
    }

    /// <summary>
    /// A session StartDaemon opened on <paramref name="dockerHost"/>, as the next process finds it saved:
    /// dood starts over the fakes; an external daemon is resolved by real pings, so its start is played.
    /// </summary>
    private async Task<(SessionState Saved, FakeEngine Engine)> StartedAsync(DockerMode mode, string dockerHost)
    {
        var engine = _host.Engines.Add(dockerHost);
        if (mode == DockerMode.External)
        {
            await ((IDockerEngine)engine).Volumes.CreateAsync(SessionNames.SessionAnchor(_host.SessionId), SessionLabels.For(_host.SessionId, "session", ProcessOwner.Kept), Cancel);
            return (_host.Saved(mode, dockerHost) with { DaemonId = engine.DaemonId }, engine);
        }

        await using var session = _host.Create(mode);
        await session.StartDaemonAsync(Cancel);
        return (session.State, engine);
    }

    private Task<string?> WhyGoneAsync(SessionState saved) => DindSession.WhyGoneAsync(saved, _host.Options(), Logger.None, _host.Services(), Cancel);
}
