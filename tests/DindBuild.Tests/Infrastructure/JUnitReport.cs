using System.Globalization;
using System.Xml.Linq;

namespace DindBuild.Tests.Infrastructure;

/// <summary>The totals of a JUnit XML report, read independently of DindBuild.</summary>
internal sealed record JUnitReport(int Tests, int Failures, int Errors)
{
    public static JUnitReport Load(string path)
    {
        var root = XDocument.Load(path).Root ?? throw new InvalidDataException($"{path} is empty");
        var suites = root.Name.LocalName == "testsuite" ? [root] : root.Elements("testsuite").ToList();
        int Sum(string attribute) => suites.Sum(suite => int.Parse(suite.Attribute(attribute)?.Value ?? "0", CultureInfo.InvariantCulture));
        return new JUnitReport(Sum("tests"), Sum("failures"), Sum("errors"));
    }
}
