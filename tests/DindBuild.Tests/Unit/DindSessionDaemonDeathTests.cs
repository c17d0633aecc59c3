using DindBuild.Diagnostics;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>A step of a dind session that fails because the DinD container died says so; any other failure comes through as it was.</summary>
public sealed class DindSessionDaemonDeathTests : IDisposable
{
    private readonly FakeSessionHost _host = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_build_whose_stream_breaks_because_the_DinD_container_was_killed_says_the_daemon_stopped()
    {
        var (saved, _, daemon, container) = _host.SavedDind();
        daemon.Failures["image.build"] = () =>
        {
            container.Exit(137, oomKilled: true);
            return new IOException("unexpected end of stream");
        };
        await using var session = _host.Continue(saved);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.BuildImageAsync(Cancel));

        Assert.Equal(FailureKind.Infrastructure, failure.Kind);
        Assert.StartsWith("The DinD daemon stopped during BuildImage", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains(container.Name, failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("exit code 137", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("killed for lack of memory", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("unexpected end of stream", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains(container.Log, failure.Evidence, StringComparison.Ordinal);

        // The build's own error is kept underneath, and the report names the step and the daemon's last words.
        Assert.Equal(FailureKind.BuildFailed, Assert.IsType<DindBuildException>(failure.InnerException).Kind);
        var history = session.History();
        Assert.Equal("BuildImage", history.FailedStep);
        Assert.Equal(failure.Message, history.Failure);
        Assert.Equal(container.Log, history.DaemonLogTail);
        Assert.Equal("Infrastructure", history.Steps.Single(step => step.Step == "BuildImage").Outcome);
    }

    [Fact]
    public async Task A_test_run_that_fails_because_the_DinD_container_exited_says_so()
    {
        var (saved, _, daemon, container) = _host.SavedDind();
        daemon.Failures["container.create"] = () =>
        {
            container.Exit(137);
            return new IOException("connection reset by peer");
        };
        await using var session = _host.Continue(saved);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.RunTestsAsync(Cancel));

        Assert.Equal(FailureKind.Infrastructure, failure.Kind);
        Assert.StartsWith("The DinD daemon stopped during RunTests", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("(exit code 137)", failure.WhatFailed, StringComparison.Ordinal);
        Assert.IsType<IOException>(failure.InnerException);
    }

    [Fact]
    public async Task While_the_DinD_container_runs_the_steps_own_exception_comes_through_unchanged()
    {
        var (saved, hostEngine, daemon, container) = _host.SavedDind();
        var broken = new IOException("connection reset by peer");
        daemon.Failures["container.create"] = () => broken;
        await using var session = _host.Continue(saved);

        var failure = await Assert.ThrowsAsync<IOException>(() => session.RunTestsAsync(Cancel));

        Assert.Same(broken, failure);
        Assert.True(container.Running);
        Assert.Contains(hostEngine.Calls, call => call.Operation == "container.inspect" && call.Target == container.Id);
        Assert.Equal("RunTests", session.History().FailedStep);
    }

    [Fact]
    public async Task A_failure_that_is_not_the_daemons_is_not_explained_away_even_with_the_container_exited()
    {
        var (saved, _, daemon, container) = _host.SavedDind();
        daemon.Failures["container.create"] = () =>
        {
            container.Exit(137);
            return new DindBuildException(FailureKind.BadParameters, "no such image");
        };
        await using var session = _host.Continue(saved);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.RunTestsAsync(Cancel));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Equal("no such image", failure.WhatFailed);
    }

    [Fact]
    public async Task In_dood_mode_there_is_no_daemon_container_to_blame()
    {
        var hostEngine = _host.Engines.Add(FakeSessionHost.HostSocket);
        var broken = new IOException("connection reset by peer");
        hostEngine.Failures["container.create"] = () => broken;
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));

        var failure = await Assert.ThrowsAsync<IOException>(() => session.RunTestsAsync(Cancel));

        Assert.Same(broken, failure);
        Assert.Equal(0, hostEngine.Count("container.inspect"));
    }
}
