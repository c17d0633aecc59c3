using DindBuild.Readiness;

namespace DindBuild.Tests.Unit;

public sealed class ReadinessWaiterTests
{
    private sealed class ScriptedCondition(string description, params ReadinessCheck[] answers) : IReadinessCondition
    {
        public int Calls { get; private set; }

        public string Description => description;

        public Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken) =>
            Task.FromResult(answers[Math.Min(Calls++, answers.Length - 1)]);
    }

    private sealed class ThrowingCondition : IReadinessCondition
    {
        public string Description => "a flaky probe";

        public Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken) => throw new IOException("connection refused");
    }

    [Fact]
    public async Task Ready_once_every_condition_holds_checking_them_in_order()
    {
        var socket = new ScriptedCondition("socket", ReadinessCheck.NotYet("missing"), ReadinessCheck.NotYet("missing"), ReadinessCheck.Ready);
        var ping = new ScriptedCondition("ping", ReadinessCheck.Ready);

        var outcome = await ReadinessWaiter.WaitAsync([socket, ping], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(outcome.Ready);
        Assert.Equal(3, socket.Calls);
        Assert.Equal(1, ping.Calls);
    }

    [Fact]
    public async Task A_failed_condition_ends_the_wait_at_once_naming_it()
    {
        var container = new ScriptedCondition("container to keep running", ReadinessCheck.Failed("exited with code 1"));

        var outcome = await ReadinessWaiter.WaitAsync([container], TimeSpan.FromMinutes(10), TestContext.Current.CancellationToken);

        Assert.False(outcome.Ready);
        Assert.Same(container, outcome.FailedCondition);
        Assert.Equal("exited with code 1", outcome.Detail);
        Assert.True(outcome.Elapsed < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Times_out_with_the_last_reason_and_treats_exceptions_as_not_yet()
    {
        var outcome = await ReadinessWaiter.WaitAsync([new ThrowingCondition()], TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);

        Assert.False(outcome.Ready);
        Assert.Contains("timed out", outcome.Detail, StringComparison.Ordinal);
        Assert.Contains("connection refused", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_stops_the_wait()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var never = new ScriptedCondition("never", ReadinessCheck.NotYet("no"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadinessWaiter.WaitAsync([never], TimeSpan.FromMinutes(10), cancel.Token));
    }
}
