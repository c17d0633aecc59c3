using System.Text;

namespace DindBuild.Artifacts;

/// <summary>
/// The limits of one extraction, over everything an archive can put on the host's disk: file content, and every
/// entry — files, directories, links, refused ones too — at a fixed cost plus its name and link target; and the
/// number of entries. Checked before an entry touches anything, so an entry over a limit leaves the tree as it was.
/// </summary>
/// <remarks>
/// Counting only file content let 50,000 empty directories and 20,000 long symlinks put 276 MB on the host under a
/// 1 MiB limit: each directory, and each symlink whose target does not fit in its inode, takes a 4 KiB block on
/// ext4 and XFS. A refused entry costs too, because reading it is work and its warning is a log line.
/// </remarks>
internal sealed class ExtractionBudget(long maxBytes, int maxEntries, string destination)
{
    /// <summary>What an entry counts besides its name, link target and content: one 4 KiB file-system block (eight 512-byte tar headers).</summary>
    public const int EntryBytes = 4096;

    public long MaxBytes => maxBytes;

    public int MaxEntries => maxEntries;

    /// <summary>Entries read from the archive so far, written or refused.</summary>
    public int Entries { get; private set; }

    /// <summary>Bytes counted against <see cref="MaxBytes"/>: every entry's cost and the content written.</summary>
    public long CountedBytes { get; private set; }

    public int FilesWritten { get; private set; }

    /// <summary>Bytes of file content written (hardlinks materialised as copies included).</summary>
    public long ContentBytes { get; private set; }

    public long Remaining => maxBytes - CountedBytes;

    /// <summary>What an entry costs before its content: <see cref="EntryBytes"/> plus the UTF-8 length of its name and link target.</summary>
    public static long EntryCost(string name, string? linkTarget) =>
        EntryBytes + Encoding.UTF8.GetByteCount(name) + (string.IsNullOrEmpty(linkTarget) ? 0 : Encoding.UTF8.GetByteCount(linkTarget));

    /// <summary>Counts the next entry of the archive; throws, counting nothing, when it would pass either limit.</summary>
    public void Admit(string entryName, string? linkTarget)
    {
        if (Entries >= maxEntries)
        {
            throw Exceeded(entryName, entryLimit: true, Entries);
        }

        var cost = EntryCost(entryName, linkTarget);
        if (cost > Remaining)
        {
            throw Exceeded(entryName, entryLimit: false, Entries);
        }

        Entries++;
        CountedBytes += cost;
    }

    /// <summary>Throws when <paramref name="length"/> more bytes of the admitted entry's content would not fit, before anything is touched.</summary>
    public void EnsureFits(string entryName, long length)
    {
        if (length > Remaining)
        {
            throw ContentExceeded(entryName);
        }
    }

    /// <summary>A file of <paramref name="bytes"/> was written completely.</summary>
    public void AddFile(long bytes)
    {
        FilesWritten++;
        ContentBytes += bytes;
        CountedBytes += bytes;
    }

    /// <summary>The admitted entry's content does not fit (it was counted as read, so the entries before it are one fewer).</summary>
    public ArtifactSizeLimitExceededException ContentExceeded(string entryName) => Exceeded(entryName, entryLimit: false, Entries - 1);

    private ArtifactSizeLimitExceededException Exceeded(string entryName, bool entryLimit, int entriesBefore) =>
        new(entryName, entryLimit, new ExtractionTally(maxBytes, maxEntries, entriesBefore, FilesWritten, ContentBytes, CountedBytes), destination);
}

/// <summary>Where an extraction stood when it hit a limit: the limits, and what was read, written and counted.</summary>
internal readonly record struct ExtractionTally(long MaxBytes, int MaxEntries, int Entries, int FilesWritten, long ContentBytes, long CountedBytes);
