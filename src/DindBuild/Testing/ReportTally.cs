using DindBuild.Diagnostics;

namespace DindBuild.Testing;

/// <summary>Counts of one report file, or of several added together, keeping at most <see cref="TestReportSummary.MaxNamesShown"/> failing names.</summary>
internal sealed class ReportTally
{
    /// <summary>Parametrised test names run long; past this a name is shortened to its start and end.</summary>
    private const int MaxNameLength = 400;

    private readonly List<string> _failingTests = [];

    public int Passed { get; private set; }

    public int Failed { get; private set; }

    public int Skipped { get; private set; }

    public IReadOnlyList<string> FailingTests => _failingTests;

    public void Pass() => Passed++;

    public void Skip() => Skipped++;

    /// <summary>The name comes from a report the container wrote: it is kept escaped, since annotations, the log and the reports show it.</summary>
    public void Fail(string name)
    {
        Failed++;
        if (_failingTests.Count < TestReportSummary.MaxNamesShown)
        {
            _failingTests.Add(SafeText.Name(name, MaxNameLength));
        }
    }

    public void Add(ReportTally other)
    {
        Passed += other.Passed;
        Skipped += other.Skipped;
        Failed += other.Failed;
        _failingTests.AddRange(other._failingTests.Take(TestReportSummary.MaxNamesShown - _failingTests.Count));
    }
}
