using System.Globalization;
using System.Xml.Linq;

namespace DindBuild.Tests.Infrastructure;

/// <summary>The counters and per-test outcomes of a TRX report, read independently of DindBuild.</summary>
internal sealed record TrxReport(int Total, int Passed, int Failed, IReadOnlyDictionary<string, string> Outcomes)
{
    private static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static TrxReport Load(string path)
    {
        var root = XDocument.Load(path).Root ?? throw new InvalidDataException($"{path} is empty");
        var counters = root.Descendants(Ns + "Counters").Single();
        int Count(string attribute) => int.Parse(counters.Attribute(attribute)?.Value ?? "0", CultureInfo.InvariantCulture);
        var outcomes = root.Descendants(Ns + "UnitTestResult").ToDictionary(result => (string)result.Attribute("testName")!, result => (string)result.Attribute("outcome")!);
        return new TrxReport(Count("total"), Count("passed"), Count("failed"), outcomes);
    }
}
