namespace DindBuild.Pipeline;

/// <summary>How long one lifecycle step took and how it ended.</summary>
public sealed record StepTiming(string Step, TimeSpan Duration, string Outcome);
