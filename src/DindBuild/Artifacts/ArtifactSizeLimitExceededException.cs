using System.Globalization;

namespace DindBuild.Artifacts;

/// <summary>
/// Thrown when copying artifacts out of a container would write more bytes than allowed.
/// Files written before the limit was hit are left in place so the caller can still inspect them.
/// </summary>
public sealed class ArtifactSizeLimitExceededException : Exception
{
    public ArtifactSizeLimitExceededException(
        string entryName,
        long limitBytes,
        int filesKept,
        long bytesKept,
        string destinationDirectory)
        : base(BuildMessage(entryName, limitBytes, filesKept, bytesKept, destinationDirectory))
    {
        EntryName = entryName;
        LimitBytes = limitBytes;
        FilesKept = filesKept;
        BytesKept = bytesKept;
        DestinationDirectory = destinationDirectory;
    }

    /// <summary>The archive entry that would have crossed the limit (it was not kept).</summary>
    public string EntryName { get; }

    public long LimitBytes { get; }

    public int FilesKept { get; }

    public long BytesKept { get; }

    public string DestinationDirectory { get; }

    private static string BuildMessage(string entryName, long limitBytes, int filesKept, long bytesKept, string destinationDirectory) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"Copying artifacts stopped at '{entryName}': the artifacts are larger than the limit of {FormatBytes(limitBytes)} ({limitBytes} bytes).") +
        string.Create(
            CultureInfo.InvariantCulture,
            $" Kept {filesKept} file(s), {FormatBytes(bytesKept)} ({bytesKept} bytes), already written to '{destinationDirectory}'; '{entryName}' and everything after it were not copied.") +
        " To copy everything, raise --artifacts-max-size.";

    private static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
