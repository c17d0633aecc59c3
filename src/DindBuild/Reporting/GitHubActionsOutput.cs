using DindBuild.Diagnostics;

namespace DindBuild.Reporting;

/// <summary>
/// GitHub Actions workflow commands: <c>::group::</c>/<c>::endgroup::</c> fold each step,
/// <c>::error title=…::</c> annotates the run, and the summary is appended to <c>$GITHUB_STEP_SUMMARY</c>.
/// </summary>
internal sealed class GitHubActionsOutput(TextWriter console, string? summaryFile) : CiOutput
{
    public override string Name => "GitHub Actions";

    public override void BeginStep(string step) => console.WriteLine($"::group::{EscapeData(step)}");

    public override void EndStep(string step) => console.WriteLine("::endgroup::");

    /// <param name="title">The annotation's title.</param>
    /// <param name="message">The annotation's text.</param>
    /// <param name="location">A file relative to the repository root (GitHub's workspace), and a line in it.</param>
    public override void Failure(string title, string message, SourceLocation? location = null) =>
        console.WriteLine(location is null
            ? $"::error title={EscapeProperty(title)}::{EscapeData(message)}"
            : $"::error file={EscapeProperty(location.File)},line={location.Line},title={EscapeProperty(title)}::{EscapeData(message)}");

    public override void Summary(string markdown)
    {
        if (!string.IsNullOrEmpty(summaryFile))
        {
            File.AppendAllText(summaryFile, markdown + "\n");
        }
    }

    /// <summary>The runner's own escaping: a raw newline would end the command, a raw '%' would start an escape.</summary>
    internal static string EscapeData(string text) =>
        text.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    internal static string EscapeProperty(string text) =>
        EscapeData(text).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
