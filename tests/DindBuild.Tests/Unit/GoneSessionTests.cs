using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>
/// A saved session whose resources were removed elsewhere (another checkout's reaper, a hand) is
/// recognised as gone, and a step on it says so without promising that a retry passes.
/// </summary>
public sealed class GoneSessionTests : IDisposable
{
    private readonly FakeSessionHost _host = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_dind_session_is_gone_only_once_nothing_labelled_with_it_is_left_on_the_host_engine()
    {
        var (saved, host, _, container) = _host.SavedDind();
        IDockerEngine engine = host;

        Assert.Null(await DindSession.WhyGoneAsync(saved, _host.Options(), Logger.None, _host.Services(), Cancel));

        // The DinD container alone gone: what is left is still the session's, for Teardown to remove.
        await engine.Containers.RemoveAsync(container.Id, Cancel);
        Assert.Null(await DindSession.WhyGoneAsync(saved, _host.Options(), Logger.None, _host.Services(), Cancel));

        await RemoveEverythingOfAsync(host, _host.SessionId);
        Assert.Equal(
            $"nothing labelled org.dindbuild.session={_host.SessionId} is left on {FakeSessionHost.HostSocket}",
            await DindSession.WhyGoneAsync(saved, _host.Options(), Logger.None, _host.Services(), Cancel));
        Assert.DoesNotContain(_host.Engines.Calls, call => call.Operation == "connect");
    }

    [Fact]
    public async Task An_engine_that_cannot_be_asked_is_not_taken_for_a_gone_session()
    {
        var (saved, _, _, _) = _host.SavedDind();

        await Assert.ThrowsAsync<IOException>(() => DindSession.WhyGoneAsync(saved with { ResourceEngineHost = "unix:///nobody/listens.sock" }, _host.Options(), Logger.None, _host.Services(), Cancel));
    }

    [Fact]
    public async Task A_step_on_a_continued_session_whose_DinD_container_was_removed_says_it_is_gone_and_no_retry_passes()
    {
        var (saved, host, _, container) = _host.SavedDind();
        IDockerEngine engine = host;
        await engine.Containers.RemoveAsync(container.Id, Cancel);
        await using var session = _host.Continue(saved);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.WaitForDaemonAsync(Cancel));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains($"session {_host.SessionId} cannot be continued: its DinD container {container.Name} is gone", failure.WhatFailed, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("retrying this step cannot pass", failure.HowToFix, StringComparison.Ordinal);
        Assert.DoesNotContain("retry usually passes", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_DinD_container_removed_in_the_middle_of_a_continued_step_is_not_retryable()
    {
        var (saved, host, daemon, container) = _host.SavedDind();
        IDockerEngine engine = host;
        daemon.Failures["image.build"] = () =>
        {
            engine.Containers.RemoveAsync(container.Id, CancellationToken.None).GetAwaiter().GetResult();
            return new IOException("unexpected end of stream");
        };
        await using var session = _host.Continue(saved);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.BuildImageAsync(Cancel));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.StartsWith($"BuildImage cannot continue session {_host.SessionId}: its DinD container {container.Name} was removed", failure.WhatFailed, StringComparison.Ordinal);
        Assert.DoesNotContain("retry usually passes", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_continued_sessions_DinD_container_that_exited_is_no_retry_either()
    {
        var (saved, _, daemon, container) = _host.SavedDind();
        daemon.Failures["image.build"] = () =>
        {
            container.Exit(137, oomKilled: true);
            return new IOException("unexpected end of stream");
        };
        await using var session = _host.Continue(saved);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.BuildImageAsync(Cancel));

        Assert.StartsWith("The DinD daemon stopped during BuildImage", failure.WhatFailed, StringComparison.Ordinal);
        Assert.DoesNotContain("retry usually passes", failure.Message, StringComparison.Ordinal);
        Assert.Contains("retrying the step cannot pass", failure.HowToFix, StringComparison.Ordinal);
    }

    internal static async Task RemoveEverythingOfAsync(IDockerEngine engine, string sessionId)
    {
        foreach (var id in await engine.Containers.ListIdsByLabelAsync(SessionLabels.Session, sessionId, Cancel))
        {
            await engine.Containers.RemoveAsync(id, Cancel);
        }

        foreach (var name in await engine.Volumes.ListNamesByLabelAsync(SessionLabels.Session, sessionId, Cancel))
        {
            await engine.Volumes.RemoveAsync(name, Cancel);
        }

        foreach (var id in await engine.Networks.ListIdsByLabelAsync(SessionLabels.Session, sessionId, Cancel))
        {
            await engine.Networks.RemoveAsync(id, Cancel);
        }
    }
}
