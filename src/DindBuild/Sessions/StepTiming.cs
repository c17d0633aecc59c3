namespace DindBuild.Sessions;

/// <summary>One lifecycle step: when it started (from the start of the build process), how long it took and how it ended.</summary>
public sealed record StepTiming(string Step, TimeSpan Start, TimeSpan Duration, string Outcome)
{
    public const string Ok = "ok";
}
