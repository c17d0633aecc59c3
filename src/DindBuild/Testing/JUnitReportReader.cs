using System.Xml;

namespace DindBuild.Testing;

/// <summary>
/// JUnit XML as pytest, Maven Surefire, Jest and most other tools write it: a <c>testsuites</c> or
/// <c>testsuite</c> root, and per <c>testcase</c> a <c>failure</c>, <c>error</c> or <c>skipped</c> child.
/// </summary>
/// <remarks>Named apart from the tests' own <c>JUnitReport</c> helper so the two never clash in one file.</remarks>
internal static class JUnitReportReader
{
    public static bool IsRoot(XmlReader reader) => reader.LocalName is "testsuites" or "testsuite";

    /// <summary>Reads from the root element to the end, streaming: a test's captured output is never held in memory.</summary>
    public static ReportTally Read(XmlReader reader)
    {
        var tally = new ReportTally();
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "testcase")
            {
                ReadTestCase(reader, tally);
            }
        }

        return tally;
    }

    private static void ReadTestCase(XmlReader reader, ReportTally tally)
    {
        var className = reader.GetAttribute("classname");
        var name = reader.GetAttribute("name") ?? "(unnamed)";
        bool failed = false, skipped = false;
        var depth = reader.Depth;
        if (!reader.IsEmptyElement)
        {
            // Only direct children say the outcome; ends on the testcase's end tag.
            while (reader.Read() && reader.Depth > depth)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Depth == depth + 1)
                {
                    failed |= reader.LocalName is "failure" or "error";
                    skipped |= reader.LocalName == "skipped";
                }
            }
        }

        if (failed)
        {
            tally.Fail(string.IsNullOrEmpty(className) ? name : $"{className}.{name}");
        }
        else if (skipped)
        {
            tally.Skip();
        }
        else
        {
            tally.Pass();
        }
    }
}
