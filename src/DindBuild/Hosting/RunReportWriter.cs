using DindBuild.Reporting;
using Serilog;

namespace DindBuild.Hosting;

/// <summary>The HTML and Markdown reports in the artifacts directory, and the CI job summary. Never fails the build: the run's own outcome matters more.</summary>
internal sealed class RunReportWriter(string artifactsDirectory, CiOutput ci, ILogger log)
{
    public const string FileNameWithoutExtension = "dindbuild-report";

    public string PathWithoutExtension => Path.Combine(artifactsDirectory, FileNameWithoutExtension);

    public void Write(RunReport report)
    {
        var markdown = MarkdownRunReport.Render(report);
        try
        {
            Directory.CreateDirectory(artifactsDirectory);
            File.WriteAllText(PathWithoutExtension + ".html", HtmlRunReport.Render(report));
            File.WriteAllText(PathWithoutExtension + ".md", markdown);
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
}
