using DindBuild.Diagnostics;

namespace DindBuild.Reporting;

/// <summary>
/// GitHub Actions workflow commands: <c>::group::</c>/<c>::endgroup::</c> fold each step,
/// <c>::error title=…::</c> annotates the run, and the summary is appended to <c>$GITHUB_STEP_SUMMARY</c>.
/// </summary>
internal sealed class GitHubActionsOutput(TextWriter console, string? summaryFile) : CiOutput
{
    public override string Name => "GitHub Actions";

    public override void BeginStep(string step) => console.WriteLine($"::group::{Percent(SafeText.Escape(step))}");

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

    /// <summary>
    /// An annotation's text: its lines escaped (<see cref="SafeText.Lines"/>: it often quotes a container), then the
    /// runner's own escaping, so that the whole command stays one log line whatever the text holds.
    /// </summary>
    internal static string EscapeData(string text) => Percent(SafeText.Lines(text));

    /// <summary>A property (title, file): one line, and neither ':' nor ',' that would end it.</summary>
    internal static string EscapeProperty(string text) =>
        Percent(SafeText.Escape(text)).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);

    /// <summary>The runner's escaping: a raw '%' would start an escape, a raw newline would end the command.</summary>
    private static string Percent(string text) =>
        text.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);
}
