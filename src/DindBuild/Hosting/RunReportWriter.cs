using DindBuild.Artifacts;
using DindBuild.Reporting;
using Serilog;

namespace DindBuild.Hosting;

/// <summary>The HTML and Markdown reports in the artifacts directory, and the CI job summary. Never fails the build: the run's own outcome matters more.</summary>
internal sealed class RunReportWriter(string artifactsDirectory, CiOutput ci, ILogger log)
{
    public const string FileNameWithoutExtension = ReservedArtifactNames.ReportFileNameWithoutExtension;

    public string PathWithoutExtension => Path.Combine(artifactsDirectory, FileNameWithoutExtension);

    public void Write(RunReport report)
    {
        var markdown = MarkdownRunReport.Render(report);
        try
        {
            Directory.CreateDirectory(artifactsDirectory);
            Replace(PathWithoutExtension + ".html", HtmlRunReport.Render(report));
            Replace(PathWithoutExtension + ".md", markdown);
            log.Information("Run report: {Report}.html (and .md)", PathWithoutExtension);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not write the run report to {Directory}: {Reason}", artifactsDirectory, ex.Message);
        }

        try
        {
            ci.Summary(markdown);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not write the {Ci} job summary: {Reason}", ci.Name, ex.Message);
        }
    }

    /// <summary>
    /// Written beside and renamed over the old report: a rename replaces whatever is at the name (a symlink
    /// or a hardlink that something other than DindBuild left in the artifacts directory) instead of writing through it.
    /// </summary>
    private static void Replace(string path, string text)
    {
        // A reserved name (the export never writes one), so the temporary file cannot be a planted link either.
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $"{ReservedArtifactNames.HiddenFilePrefix}{Path.GetFileName(path)}-{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temporary, text);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            // Gone after the rename; after a failure (a full disk, say) no half-written file is left behind.
            File.Delete(temporary);
        }
    }
}
