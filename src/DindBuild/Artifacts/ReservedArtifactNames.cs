using DindBuild.Diagnostics;

namespace DindBuild.Artifacts;

/// <summary>
/// The names DindBuild itself writes at the top of the host artifacts directory. An exported entry at one of
/// them (or below one) is refused: the test must not replace the build's own log or report, nor block them.
/// </summary>
/// <remarks>
/// Compared case-insensitively and without trailing dots and spaces, because the artifacts directory may be
/// on a file system that folds case (macOS, Windows, a mounted share) or drops those (Windows): there,
/// <c>DINDBUILD-LOG.JSONL</c> or <c>dindbuild-log.jsonl.</c> is the same file as the log.
/// </remarks>
internal static class ReservedArtifactNames
{
    /// <summary>The run report, <c>.html</c> and <c>.md</c>; <c>RenderReport</c> adds the <c>.png</c>.</summary>
    public const string ReportFileNameWithoutExtension = "dindbuild-report";

    /// <summary>DindBuild's probe and temporary files (<c>.dindbuild-write-check-PID</c>, <c>.dindbuild-write-probe-GUID</c>, the report while it is written).</summary>
    public const string HiddenFilePrefix = ".dindbuild-";

    public static IReadOnlyList<string> Names { get; } =
    [
        DindLogging.JsonLogFileName,
        ReportFileNameWithoutExtension + ".html",
        ReportFileNameWithoutExtension + ".md",
        ReportFileNameWithoutExtension + ".png",
    ];

    /// <summary>Whether a top-level component of the artifacts directory is one of DindBuild's own names.</summary>
    public static bool IsReserved(string topLevelName)
    {
        var name = topLevelName.TrimEnd('.', ' ');
        return Names.Any(reserved => string.Equals(name, reserved, StringComparison.OrdinalIgnoreCase))
            || name.StartsWith(HiddenFilePrefix, StringComparison.OrdinalIgnoreCase);
    }
}
