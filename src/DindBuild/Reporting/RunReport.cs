using DindBuild.Docker;
using DindBuild.Pipeline;

namespace DindBuild.Reporting;

/// <summary>Everything one build process saw, for <c>dindbuild-report.html</c>/<c>.md</c> and the CI step summary.</summary>
public sealed record RunReport(string SessionId, DateTimeOffset Started, string Mode)
{
    public string? PrivilegeProfile { get; init; }

    public string? DaemonVersion { get; init; }

    public string? StorageDriver { get; init; }

    public string? ImageTag { get; init; }

    public string? ImageId { get; init; }

    public long? ImageSizeBytes { get; init; }

    public IReadOnlyList<StepTiming> Steps { get; init; } = [];

    public IReadOnlyList<ResourceSample> Samples { get; init; } = [];

    /// <summary>Why there are no resource samples, when there are none.</summary>
    public string? SamplesNote { get; init; }

    public JUnitResults? Tests { get; init; }

    /// <summary>The first failure's message (what failed, evidence, how to fix), secrets masked.</summary>
    public string? Failure { get; init; }

    public string? FailedStep { get; init; }

    public string? DaemonLogTail { get; init; }

    public bool Succeeded => Failure is null && Steps.All(step => step.Outcome == StepTiming.Ok);

    /// <summary>From the first step's start to the last step's end.</summary>
    public TimeSpan Span => Steps.Count == 0 ? TimeSpan.Zero : Steps.Max(step => step.Start + step.Duration);
}
