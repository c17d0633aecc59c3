namespace DindBuild.Testing;

/// <summary>How the test container ended.</summary>
public sealed record TestRunResult(string ContainerId, long ExitCode, bool TimedOut, TimeSpan Duration, IReadOnlyList<string> OutputTail)
{
    public bool Passed => !TimedOut && ExitCode == 0;
}
