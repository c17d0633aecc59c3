namespace DindBuild.Tests.Infrastructure;

/// <summary>A clock a test moves by hand (the time-testing package is not served here).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
