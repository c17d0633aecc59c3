using System.Xml;

namespace DindBuild.Testing;

/// <summary>
/// VSTest TRX (<c>dotnet test --logger trx</c>, MSTest, Azure DevOps): a <c>TestRun</c> root whose
/// <c>Results</c> hold one <c>UnitTestResult</c> per test with its <c>outcome</c> and <c>testName</c>.
/// </summary>
internal static class TrxReportReader
{
    public const string Namespace = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static bool IsRoot(XmlReader reader) => reader is { LocalName: "TestRun", NamespaceURI: Namespace };

    /// <summary>
    /// Counts the results directly under <c>TestRun/Results</c>: the inner results of a data-driven test
    /// (<c>InnerResults</c>) are rows of a result already counted, as the TRX's own counters treat them.
    /// </summary>
    public static ReportTally Read(XmlReader reader)
    {
        var tally = new ReportTally();
        string? section = null;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (reader.Depth == 1)
            {
                section = reader.LocalName;
            }
            else if (reader is { Depth: 2, LocalName: "UnitTestResult", NamespaceURI: Namespace } && section == "Results")
            {
                Count(reader.GetAttribute("outcome"), reader.GetAttribute("testName") ?? "(unnamed)", tally);
            }
        }

        return tally;
    }

    /// <summary>
    /// dotnet test writes Passed, Failed and NotExecuted (skipped); the others come from older tools. An
    /// outcome that is not known to be a pass or a skip counts as a failure, so that nothing odd looks green.
    /// </summary>
    private static void Count(string? outcome, string name, ReportTally tally)
    {
        switch (outcome)
        {
            case "Passed" or "PassedButRunAborted" or "Completed" or "Warning":
                tally.Pass();
                break;
            case "NotExecuted" or "Inconclusive" or "Pending" or "InProgress":
                tally.Skip();
                break;
            default:
                // Failed, Error, Timeout, Aborted, Disconnected, NotRunnable, or no outcome at all.
                tally.Fail(name);
                break;
        }
    }
}
