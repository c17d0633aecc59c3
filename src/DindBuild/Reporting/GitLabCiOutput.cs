using System.Text.RegularExpressions;
using DindBuild.Diagnostics;

namespace DindBuild.Reporting;

/// <summary>
/// GitLab CI collapsible sections: <c>ESC[0Ksection_start:UNIXTIME:NAME\rESC[0KHEADER</c> …
/// <c>ESC[0Ksection_end:UNIXTIME:NAME\rESC[0K</c>. GitLab shows each section's duration from the two times.
/// </summary>
internal sealed partial class GitLabCiOutput(TextWriter console, Func<DateTimeOffset>? clock = null) : CiOutput
{
    private const string EraseLine = "\u001b[0K";

    public override string Name => "GitLab CI";

    public override void BeginStep(string step) =>
        console.WriteLine($"{EraseLine}section_start:{Now()}:{SectionName(step)}\r{EraseLine}{SafeText.Escape(step)}");

    public override void EndStep(string step) =>
        console.WriteLine($"{EraseLine}section_end:{Now()}:{SectionName(step)}\r{EraseLine}");

    /// <summary>GitLab accepts letters, digits, '_', '.' and '-' in a section name.</summary>
    internal static string SectionName(string step) => "dindbuild_" + NotAllowed().Replace(step.ToLowerInvariant(), "_");

    private long Now() => (clock?.Invoke() ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();

    [GeneratedRegex("[^a-z0-9_.-]")]
    private static partial Regex NotAllowed();
}
