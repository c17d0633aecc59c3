using System.Globalization;
using DindBuild.Diagnostics;
using DindBuild.Settings;

namespace DindBuild.Artifacts;

/// <summary>
/// Copying artifacts out of a container would write more bytes than allowed. Files written before
/// the limit was hit are left in place so they can still be inspected.
/// </summary>
public sealed class ArtifactSizeLimitExceededException(string entryName, long limitBytes, int filesKept, long bytesKept, string destinationDirectory)
    : DindBuildException(
        FailureKind.BadParameters,
        $"Copying artifacts stopped at '{entryName}': the artifacts are larger than the limit of {Describe(limitBytes)}.",
        string.Create(CultureInfo.InvariantCulture, $"kept {filesKept} file(s), {bytesKept} bytes, already written to '{destinationDirectory}'; '{entryName}' and everything after it were not copied."),
        "raise --artifacts-max-size, or have the tests write less into the artifacts path.")
{
    /// <summary>The archive entry that would have crossed the limit (it was not kept).</summary>
    public string EntryName { get; } = entryName;

    public long LimitBytes { get; } = limitBytes;

    public int FilesKept { get; } = filesKept;

    public long BytesKept { get; } = bytesKept;

    public string DestinationDirectory { get; } = destinationDirectory;

    private static string Describe(long bytes) =>
        bytes % (1L << 20) == 0 ? ParameterValues.Size(bytes) : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");
}
