using System.Xml;
using System.Xml.Linq;

namespace DindBuild.Reporting;

/// <summary>Test counts and failing test names from the JUnit XML reports among the exported artifacts (pytest, dotnet, Maven, Jest).</summary>
public sealed record JUnitResults(int Passed, int Failed, int Skipped, IReadOnlyList<string> FailingTests, IReadOnlyList<string> Files)
{
    private const int MaxNamesShown = 50;

    public int Total => Passed + Failed + Skipped;

    /// <summary>Null when the directory holds no JUnit report; files that are not JUnit XML are ignored.</summary>
    public static JUnitResults? FromDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return null;
        }

        int passed = 0, failed = 0, skipped = 0;
        var failing = new List<string>();
        var files = new List<string>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            XDocument document;
            try
            {
                document = XDocument.Load(path);
            }
            catch (XmlException)
            {
                continue;
            }

            if (document.Root?.Name.LocalName is not ("testsuites" or "testsuite"))
            {
                continue;
            }

            files.Add(Path.GetRelativePath(directory, path));
            foreach (var testCase in document.Descendants().Where(element => element.Name.LocalName == "testcase"))
            {
                var outcomes = testCase.Elements().Select(element => element.Name.LocalName).ToList();
                if (outcomes.Contains("failure") || outcomes.Contains("error"))
                {
                    failed++;
                    if (failing.Count < MaxNamesShown)
                    {
                        var className = (string?)testCase.Attribute("classname");
                        var name = (string?)testCase.Attribute("name") ?? "(unnamed)";
                        failing.Add(string.IsNullOrEmpty(className) ? name : $"{className}.{name}");
                    }
                }
                else if (outcomes.Contains("skipped"))
                {
                    skipped++;
                }
                else
                {
                    passed++;
                }
            }
        }

        return files.Count == 0 ? null : new JUnitResults(passed, failed, skipped, failing, files);
    }
}
