using System.Diagnostics;

namespace DindBuild.Readiness;

/// <summary>
/// Polls conditions in order with a short exponential backoff (10 ms doubling to <see cref="Backoff"/>'s ceiling), so
/// a daemon is seen within milliseconds of becoming ready instead of at the next one-second tick. A condition whose
/// Ready answer holds for a while (<see cref="IReadinessCondition.ReadyHoldsFor"/>) is not asked again until then.
/// </summary>
internal static class ReadinessWaiter
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>The ceiling for waits of unknown length (a host engine being installed): 200 ms.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The ceiling for a wait that every run pays and that ends within about a second (a DinD daemon's start): its
    /// checks are a file's existence and a ping, and with 200 ms the daemon was seen 100 ms late on average.
    /// </summary>
    public static readonly TimeSpan FastMaxDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>The delays between rounds, in order: 10 ms doubling up to <paramref name="maxDelay"/>, then that.</summary>
    public static IEnumerable<TimeSpan> Backoff(TimeSpan maxDelay)
    {
        var delay = TimeSpan.FromTicks(Math.Min(FirstDelay.Ticks, maxDelay.Ticks));
        while (true)
        {
            yield return delay;
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
        }
    }

    public static async Task<ReadinessOutcome> WaitAsync(IReadOnlyList<IReadinessCondition> conditions, TimeSpan timeout, CancellationToken cancellationToken, TimeSpan? maxDelay = null)
    {
        var clock = Stopwatch.StartNew();
        using var delays = Backoff(maxDelay ?? DefaultMaxDelay).GetEnumerator();
        var readyUntil = new TimeSpan?[conditions.Count];
        var last = ReadinessCheck.NotYet("not checked yet");
        var lastCondition = conditions[0];
        while (true)
        {
            var allReady = true;
            for (var index = 0; index < conditions.Count; index++)
            {
                var condition = conditions[index];
                if (readyUntil[index] is { } until && clock.Elapsed < until)
                {
                    continue;
                }

                lastCondition = condition;
                last = await CheckAsync(condition, cancellationToken).ConfigureAwait(false);
                readyUntil[index] = last.State == ReadinessState.Ready && condition.ReadyHoldsFor > TimeSpan.Zero ? clock.Elapsed + condition.ReadyHoldsFor : null;
                if (last.State == ReadinessState.Failed)
                {
                    return new ReadinessOutcome(false, condition, last.Detail, clock.Elapsed);
                }

                if (last.State == ReadinessState.NotYet)
                {
                    allReady = false;
                    break;
                }
            }

            if (allReady)
            {
                return new ReadinessOutcome(true, null, "ready", clock.Elapsed);
            }

            if (clock.Elapsed >= timeout)
            {
                return new ReadinessOutcome(false, lastCondition, $"timed out after {timeout.TotalSeconds:0.#} s; last check: {last.Detail}", clock.Elapsed);
            }

            delays.MoveNext();
            await Task.Delay(delays.Current, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<ReadinessCheck> CheckAsync(IReadinessCondition condition, CancellationToken cancellationToken)
    {
        try
        {
            return await condition.CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return ReadinessCheck.NotYet(ex.GetBaseException().Message);
        }
    }
}

/// <summary>How a wait ended; on failure, which condition and why.</summary>
internal sealed record ReadinessOutcome(bool Ready, IReadinessCondition? FailedCondition, string Detail, TimeSpan Elapsed);
