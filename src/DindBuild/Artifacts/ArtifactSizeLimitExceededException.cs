using System.Globalization;
using DindBuild.Diagnostics;
using DindBuild.Settings;

namespace DindBuild.Artifacts;

/// <summary>
/// Copying artifacts out of a container would pass <c>--artifacts-max-size</c> (bytes, counted for every entry as
/// well as for file content) or <c>--artifacts-max-entries</c>. What was written before the limit was hit is left
/// in place so it can still be inspected.
/// </summary>
public sealed class ArtifactSizeLimitExceededException : DindBuildException
{
    internal ArtifactSizeLimitExceededException(string entryName, bool entryLimit, ExtractionTally tally, string destinationDirectory)
        : base(
            FailureKind.BadParameters,
            entryLimit
                ? string.Create(CultureInfo.InvariantCulture, $"Copying artifacts stopped at '{SafeText.Name(entryName)}': the artifacts have more than the limit of {tally.MaxEntries} entries (files, directories and links).")
                : $"Copying artifacts stopped at '{SafeText.Name(entryName)}': the artifacts are larger than the limit of {Describe(tally.MaxBytes)}.",
            string.Create(
                CultureInfo.InvariantCulture,
                $"kept {tally.FilesWritten} file(s), {tally.ContentBytes} bytes of content, already written to '{destinationDirectory}'; '{SafeText.Name(entryName)}' and everything after it were not copied.\n") +
            string.Create(
                CultureInfo.InvariantCulture,
                $"{tally.Entries} entries were read before it; {tally.CountedBytes} bytes were counted against the size limit (each entry counts {ExtractionBudget.EntryBytes} bytes plus its name and link target, besides its content)."),
            entryLimit
                ? "raise --artifacts-max-entries, or have the tests write fewer files into the artifacts path."
                : "raise --artifacts-max-size, or have the tests write less into the artifacts path.")
    {
        EntryName = entryName;
        IsEntryLimit = entryLimit;
        LimitBytes = tally.MaxBytes;
        LimitEntries = tally.MaxEntries;
        EntriesRead = tally.Entries;
        FilesKept = tally.FilesWritten;
        BytesKept = tally.ContentBytes;
        DestinationDirectory = destinationDirectory;
    }

    /// <summary>The archive entry that would have crossed the limit (it was not kept), exactly as the archive names it.</summary>
    public string EntryName { get; }

    /// <summary>True when <see cref="LimitEntries"/> was hit, false for <see cref="LimitBytes"/>.</summary>
    public bool IsEntryLimit { get; }

    public long LimitBytes { get; }

    public int LimitEntries { get; }

    /// <summary>Entries read from the archive before <see cref="EntryName"/>, written or refused.</summary>
    public int EntriesRead { get; }

    public int FilesKept { get; }

    /// <summary>Bytes of file content kept.</summary>
    public long BytesKept { get; }

    public string DestinationDirectory { get; }

    private static string Describe(long bytes) =>
        bytes % (1L << 20) == 0 ? ParameterValues.Size(bytes) : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");
}
