using DindBuild.Readiness;

namespace DindBuild.Tests.Unit;

public sealed class ReadinessWaiterTests
{
    private sealed class ScriptedCondition(string description, params ReadinessCheck[] answers) : IReadinessCondition
    {
        public int Calls { get; private set; }

        public string Description => description;

        public TimeSpan ReadyHoldsFor { get; init; }

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

    [Fact]
    public async Task A_ready_answer_that_holds_for_a_while_is_not_asked_again_meanwhile()
    {
        // The host engine's container inspect: a Ready answer stands for its hold; the socket is asked every round.
        var container = new ScriptedCondition("container", ReadinessCheck.Ready) { ReadyHoldsFor = TimeSpan.FromHours(1) };
        var everyRound = new ScriptedCondition("process", ReadinessCheck.Ready);
        var socket = new ScriptedCondition("socket", ReadinessCheck.NotYet("missing"), ReadinessCheck.NotYet("missing"), ReadinessCheck.NotYet("missing"), ReadinessCheck.Ready);

        var outcome = await ReadinessWaiter.WaitAsync([container, everyRound, socket], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(outcome.Ready);
        Assert.Equal(4, socket.Calls);
        Assert.Equal(4, everyRound.Calls);
        Assert.Equal(1, container.Calls);
    }

    [Fact]
    public async Task A_held_answer_that_was_not_ready_is_asked_again_next_round()
    {
        var container = new ScriptedCondition("container", ReadinessCheck.NotYet("created"), ReadinessCheck.Ready) { ReadyHoldsFor = TimeSpan.FromHours(1) };
        var socket = new ScriptedCondition("socket", ReadinessCheck.NotYet("missing"), ReadinessCheck.Ready);

        var outcome = await ReadinessWaiter.WaitAsync([container, socket], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(outcome.Ready);
        Assert.Equal(2, container.Calls);
        Assert.Equal(2, socket.Calls);
    }

    [Fact]
    public void The_fast_backoff_stays_at_20_ms_and_the_default_climbs_to_200_ms()
    {
        var fast = ReadinessWaiter.Backoff(ReadinessWaiter.FastMaxDelay).Take(50).Select(delay => delay.TotalMilliseconds).ToList();
        var slow = ReadinessWaiter.Backoff(ReadinessWaiter.DefaultMaxDelay).Take(8).Select(delay => delay.TotalMilliseconds).ToList();

        Assert.Equal([10.0, 20.0, 20.0], fast.Take(3));
        Assert.All(fast.Skip(1), delay => Assert.Equal(20.0, delay));
        Assert.Equal([10.0, 20.0, 40.0, 80.0, 160.0, 200.0, 200.0, 200.0], slow);
    }
}
