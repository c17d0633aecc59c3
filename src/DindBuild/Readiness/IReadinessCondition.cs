namespace DindBuild.Readiness;

/// <summary>One thing that must hold before a daemon counts as ready (or proof that it never will).</summary>
internal interface IReadinessCondition
{
    /// <summary>What is being waited for, as it reads in a log line or an error.</summary>
    string Description { get; }

    /// <summary>
    /// How long a <see cref="ReadinessState.Ready"/> answer stands before the waiter asks again; zero (the default):
    /// every round. For a check that costs a round trip to another engine and only guards against failure.
    /// </summary>
    TimeSpan ReadyHoldsFor => TimeSpan.Zero;

    Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>The outcome of one check: ready, not yet (with why), or failed for good (stop waiting).</summary>
internal sealed record ReadinessCheck(ReadinessState State, string Detail)
{
    public static ReadinessCheck Ready { get; } = new(ReadinessState.Ready, "ready");

    public static ReadinessCheck NotYet(string why) => new(ReadinessState.NotYet, why);

    public static ReadinessCheck Failed(string why) => new(ReadinessState.Failed, why);
}

internal enum ReadinessState
{
    Ready,
    NotYet,
    Failed,
}
