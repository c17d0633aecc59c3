// TEMPORARY: replaced by the reports-inputs branch.
namespace DindBuild.Testing;
public sealed record TestReportSummary(int Passed, int Failed, int Skipped, IReadOnlyList<string> FailingTests, IReadOnlyList<string> Files)
{
    public static TestReportSummary? FromFiles(string directory, IReadOnlyList<string> files) => null;
}
public static class MissingTestReport
{
    public static Diagnostics.DindBuildException Error(Settings.DindSettings settings, string path) => new(Diagnostics.FailureKind.TestsFailed, "x");
}
