using DindBuild.Sessions;

namespace DindBuild.Reporting;

/// <summary>
/// A session's history (<see cref="RunHistory"/>: steps, samples, facts, first failure) with what the
/// reporting process adds, for <c>dindbuild-report.html</c>/<c>.md</c> and the CI step summary.
/// </summary>
public sealed record RunReport(string SessionId, string Mode, RunHistory History)
{
    public string? ImageTag { get; init; }

    public string? ImageId { get; init; }

    public long? ImageSizeBytes { get; init; }

    /// <summary>Why there are no resource samples, when there are none.</summary>
    public string? SamplesNote { get; init; }

    /// <summary>When the session's first build process started.</summary>
    public DateTimeOffset Started => History.Started ?? default;

    /// <summary>The steps, each starting at its offset from <see cref="Started"/>.</summary>
    public IReadOnlyList<StepTiming> Steps => [.. History.Steps.Select(step => new StepTiming(step.Step, step.Started - Started, step.Duration, step.Outcome))];

    public bool Succeeded => History.Failure is null && History.Steps.All(step => step.Outcome == StepTiming.Ok);

    /// <summary>From the first step's start to the last step's end.</summary>
    public TimeSpan Span => Steps.Count == 0 ? TimeSpan.Zero : Steps.Max(step => step.Start + step.Duration);
}
