using System.Diagnostics;

namespace DindBuild.Readiness;

/// <summary>
/// Polls conditions in order with a short exponential backoff (10 ms doubling to 200 ms), so a
/// daemon is seen within milliseconds of becoming ready instead of at the next one-second tick.
/// </summary>
internal static class ReadinessWaiter
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(200);

    public static async Task<ReadinessOutcome> WaitAsync(IReadOnlyList<IReadinessCondition> conditions, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var delay = FirstDelay;
        var last = ReadinessCheck.NotYet("not checked yet");
        var lastCondition = conditions[0];
        while (true)
        {
            var allReady = true;
            foreach (var condition in conditions)
            {
                lastCondition = condition;
                last = await CheckAsync(condition, cancellationToken).ConfigureAwait(false);
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

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
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
