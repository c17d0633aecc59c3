using System.Xml;

namespace DindBuild.Testing;

/// <summary>
/// Test counts and failing test names from the test reports among the exported artifacts: JUnit XML
/// (pytest, Maven, Jest, Go, dotnet with a JUnit logger) and VSTest TRX (<c>dotnet test --logger trx</c>).
/// </summary>
public sealed record TestReportSummary(int Passed, int Failed, int Skipped, IReadOnlyList<string> FailingTests, IReadOnlyList<string> Files)
{
    /// <summary>A file past this many characters is skipped: the artifacts come from the container, so they are hostile input.</summary>
    public const long MaxReportCharacters = 64L * 1024 * 1024;

    internal const int MaxNamesShown = 50;

    public int Total => Passed + Failed + Skipped;

    /// <summary>
    /// Reads every <c>*.xml</c> and <c>*.trx</c> file under <paramref name="directory"/>; the kind of report is
    /// decided by the root element, not the extension. Null when there is no report at all; files that are not
    /// test reports, cannot be parsed, use a DTD or are too big are ignored.
    /// </summary>
    public static TestReportSummary? FromDirectory(string directory) =>
        Directory.Exists(directory) ? FromFiles(directory, CandidateFiles(directory)) : null;

    /// <summary>
    /// Reads the given files only — those one export wrote, so reports that earlier runs left in the
    /// directory are never counted as this run's. Names are shown relative to <paramref name="directory"/>.
    /// </summary>
    public static TestReportSummary? FromFiles(string directory, IEnumerable<string> paths)
    {
        var total = new ReportTally();
        var files = new List<string>();
        foreach (var path in paths.Where(IsCandidate).Order(StringComparer.Ordinal))
        {
            // Counted per file and added only once the whole file parsed, so a truncated report adds nothing.
            if (ReadFile(path) is { } tally)
            {
                total.Add(tally);
                files.Add(Path.GetRelativePath(directory, path));
            }
        }

        return files.Count == 0 ? null : new TestReportSummary(total.Passed, total.Failed, total.Skipped, total.FailingTests, files);
    }

    private static bool IsCandidate(string path) => Path.GetExtension(path).ToLowerInvariant() is ".xml" or ".trx";

    private static IEnumerable<string> CandidateFiles(string directory)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        return Directory.EnumerateFiles(directory, "*", options);
    }

    private static ReportTally? ReadFile(string path)
    {
        try
        {
            if (new FileInfo(path).Length > MaxReportCharacters)
            {
                return null;
            }

            using var reader = XmlReader.Create(path, SafeSettings());
            if (reader.MoveToContent() != XmlNodeType.Element)
            {
                return null;
            }

            return reader switch
            {
                _ when JUnitReportReader.IsRoot(reader) => JUnitReportReader.Read(reader),
                _ when TrxReportReader.IsRoot(reader) => TrxReportReader.Read(reader),
                _ => null,
            };
        }
        catch (Exception ex) when (ex is XmlException or IOException or UnauthorizedAccessException)
        {
            // A broken, hostile (DTD, entity expansion, over the cap) or unreadable file is not a report.
            return null;
        }
    }

    /// <summary>No DTD (so no entity expansion or external entities), no resolver, and a size cap.</summary>
    private static XmlReaderSettings SafeSettings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxReportCharacters,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };
}
