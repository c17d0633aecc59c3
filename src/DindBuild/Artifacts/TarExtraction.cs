// Slightly over 300 lines on purpose: one pass over a hostile archive, each entry kind's checks beside the
// write they guard, so that no path between a check and its write is in another file.
using System.Formats.Tar;
using DindBuild.Diagnostics;

namespace DindBuild.Artifacts;

/// <summary>
/// State of one <see cref="SafeTarExtractor.ExtractAsync"/> run: decides, entry by entry, what may be written,
/// and cleans up what the finished tree makes unsafe. Kept apart so a <see cref="SafeTarExtractor"/> can be reused.
/// </summary>
internal sealed class TarExtraction
{
    private readonly ExtractionRoot _root;
    private readonly string _strip;
    private readonly Action<string> _warn;
    private readonly SymlinkResolver _resolver;
    private readonly ExtractedSymlinks _symlinks;
    private readonly ExtractionBudget _budget;
    private readonly LimitedFileWriter _writer;
    private readonly ExtractedMetadata _metadata;
    private readonly List<string> _refused = [];

    // Relative paths ('/'-joined) of regular files this run wrote: the only valid hardlink targets.
    private readonly HashSet<string> _regularFiles = new(StringComparer.Ordinal);

    /// <param name="root">The destination directory, already created.</param>
    /// <param name="strip">The leading component to remove from every entry, or empty.</param>
    /// <param name="maxTotalBytes">Maximum bytes counted for the whole extraction (see <see cref="ExtractionBudget"/>).</param>
    /// <param name="maxEntries">Maximum number of archive entries.</param>
    /// <param name="warn">Receives one human-readable message per refused entry.</param>
    public TarExtraction(string root, string strip, long maxTotalBytes, int maxEntries, Action<string> warn)
    {
        _root = new ExtractionRoot(root);
        _strip = strip;
        _warn = warn;
        _resolver = new SymlinkResolver(_root);
        _symlinks = new ExtractedSymlinks(_root, _resolver);
        _budget = new ExtractionBudget(maxTotalBytes, maxEntries, root);
        _writer = new LimitedFileWriter(_budget, warn);
        _metadata = new ExtractedMetadata(_root, warn);
    }

    public ExtractionResult Result => new(_budget.FilesWritten, _budget.ContentBytes, _refused)
    {
        Files = [.. _writer.Written],
        Entries = _budget.Entries,
        CountedBytes = _budget.CountedBytes,
    };

    public async Task RunAsync(Stream tar, CancellationToken ct)
    {
        var source = new ZeroLengthReadSafeStream(tar, leaveOpen: true);
        var reader = new TarReader(source, leaveOpen: false);
        await using (reader.ConfigureAwait(false))
        {
            try
            {
                while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                {
                    await ProcessAsync(entry, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                // Runs even after the size limit or a cancellation, so the files that are kept never
                // include a symlink that escapes.
                _symlinks.RemoveEscaping(Refuse);
                _metadata.ApplyToDirectories();
            }
        }
    }

    private async Task ProcessAsync(TarEntry entry, CancellationToken ct)
    {
        // Before anything else, so that neither the count nor the size of what is refused is unlimited.
        _budget.Admit(entry.Name, entry.LinkName);
        var isDirectory = entry.EntryType == TarEntryType.Directory;
        if (!ArchivePath.TryMap(entry.Name, _strip, isDirectory, out var rel, out var why))
        {
            Refuse(entry.Name, $"its path {why}");
            return;
        }

        if (_root.WhyNotHere(rel) is { } problem)
        {
            Refuse(entry.Name, problem);
            return;
        }

        try
        {
            await ExtractAsync(entry, rel, ct).ConfigureAwait(false);
        }
        catch (PathTooLongException)
        {
            // The checks above follow Linux's limits; a host file system with smaller ones still only refuses the entry.
            Refuse(entry.Name, "its path is too long for the host file system");
        }
    }

    private async Task ExtractAsync(TarEntry entry, string[] rel, CancellationToken ct)
    {
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                ExtractDirectory(entry, rel);
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                await ExtractRegularFileAsync(entry, rel, ct).ConfigureAwait(false);
                break;
            case TarEntryType.SymbolicLink:
                ExtractSymlink(entry, rel);
                break;
            case TarEntryType.HardLink:
                await ExtractHardLinkAsync(entry, rel, ct).ConfigureAwait(false);
                break;
            default:
                Refuse(entry.Name, NeverExtracted(entry.EntryType));
                break;
        }
    }

    private static string NeverExtracted(TarEntryType type) => type switch
    {
        TarEntryType.CharacterDevice => "character devices are never extracted",
        TarEntryType.BlockDevice => "block devices are never extracted",
        TarEntryType.Fifo => "FIFOs (named pipes) are never extracted",
        _ => $"entries of type {type} are not supported",
    };

    private void ExtractDirectory(TarEntry entry, string[] rel)
    {
        // The requested directory itself: the destination belongs to the caller, so its mode is left alone.
        if (rel.Length == 0)
        {
            return;
        }

        if (_root.CheckParents(rel) is { } parentProblem)
        {
            Refuse(entry.Name, parentProblem);
            return;
        }

        var path = _root.FullPath(rel);
        switch (ExtractionRoot.Probe(path))
        {
            case PathKind.Symlink:
                // Replace rather than reuse: creating children through it is exactly what must not happen.
                ExtractionRoot.DeleteLink(path);
                _symlinks.Forget(ExtractionRoot.Key(rel));
                break;
            case PathKind.Other:
                Refuse(entry.Name, "a non-directory with that name was already extracted");
                return;
        }

        Directory.CreateDirectory(path);
        _metadata.DeferDirectory(rel, entry);
    }

    private async Task ExtractRegularFileAsync(TarEntry entry, string[] rel, CancellationToken ct)
    {
        // Checked before anything at the path is replaced, so an oversized entry leaves the tree as it was.
        _budget.EnsureFits(entry.Name, entry.Length);
        if (!TryPrepareTarget(entry.Name, rel, out var path))
        {
            return;
        }

        await _writer.CopyAsync(entry.DataStream ?? Stream.Null, path, entry.Name, ct).ConfigureAwait(false);
        ExtractedMetadata.ApplyToFile(path, entry);
        _regularFiles.Add(ExtractionRoot.Key(rel));
    }

    private void ExtractSymlink(TarEntry entry, string[] rel)
    {
        var target = entry.LinkName;
        if (string.IsNullOrEmpty(target))
        {
            Refuse(entry.Name, "the symlink has no target");
            return;
        }

        if (ArchivePath.WhyTooLong(target) is { } tooLong)
        {
            Refuse(entry.Name, $"its symlink target '{SafeText.Name(target)}' {tooLong}");
            return;
        }

        if (_root.CheckParents(rel) is { } parentProblem)
        {
            Refuse(entry.Name, parentProblem);
            return;
        }

        if (!_resolver.ResolvesInside(rel[..^1], target, out var why))
        {
            Refuse(entry.Name, $"its symlink target '{SafeText.Name(target)}' {why}");
            return;
        }

        if (!TryPrepareTarget(entry.Name, rel, out var path))
        {
            return;
        }

        try
        {
            File.CreateSymbolicLink(path, OperatingSystem.IsWindows() ? target.Replace('/', '\\') : target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Refuse(entry.Name, $"the symlink could not be created ({ex.Message})");
            return;
        }

        _symlinks.Record(ExtractionRoot.Key(rel), entry.Name);
    }

    private async Task ExtractHardLinkAsync(TarEntry entry, string[] rel, CancellationToken ct)
    {
        // Hardlink targets are archive paths (prefixed like entry names), not paths relative to the link.
        if (!ArchivePath.TryMap(entry.LinkName, _strip, isDirectory: false, out var targetRel, out var why))
        {
            Refuse(entry.Name, $"its hardlink target '{SafeText.Name(entry.LinkName)}' {why}");
            return;
        }

        // Only files this run wrote qualify: anything else could be a host file that was already in the
        // destination, or a path reached through a link.
        var targetKey = ExtractionRoot.Key(targetRel);
        if (!_regularFiles.Contains(targetKey))
        {
            Refuse(entry.Name, $"its hardlink target '{SafeText.Name(entry.LinkName)}' is not a regular file extracted earlier from this archive");
            return;
        }

        if (targetKey == ExtractionRoot.Key(rel))
        {
            Refuse(entry.Name, "the hardlink points to itself");
            return;
        }

        var targetPath = _root.FullPath(targetRel);
        if (_root.CheckParents(targetRel) is not null || ExtractionRoot.Probe(targetPath) != PathKind.Other)
        {
            Refuse(entry.Name, $"its hardlink target '{SafeText.Name(entry.LinkName)}' was replaced by a later entry");
            return;
        }

        _budget.EnsureFits(entry.Name, new FileInfo(targetPath).Length);
        if (!TryPrepareTarget(entry.Name, rel, out var path))
        {
            return;
        }

        // A copy rather than a real hardlink: it cannot alias anything outside, and editing one artifact
        // never silently changes another.
        var source = new FileStream(targetPath, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        });
        await using (source.ConfigureAwait(false))
        {
            await _writer.CopyAsync(source, path, entry.Name, ct).ConfigureAwait(false);
        }

        ExtractedMetadata.ApplyToFile(path, entry);
        _regularFiles.Add(ExtractionRoot.Key(rel));
    }

    /// <summary>
    /// Validates the parents of a non-directory entry, creates them, and clears whatever the archive
    /// already put at the path, so the new entry replaces it the way tar does.
    /// </summary>
    private bool TryPrepareTarget(string entryName, string[] rel, out string path)
    {
        path = _root.FullPath(rel);
        if (_root.CheckParents(rel) is { } parentProblem)
        {
            Refuse(entryName, parentProblem);
            return false;
        }

        switch (ExtractionRoot.Probe(path))
        {
            case PathKind.Directory:
                Refuse(entryName, "a directory with that name already exists");
                return false;
            case PathKind.Symlink:
                // Writing "into" an existing symlink would follow it; removing it writes a fresh file instead.
                ExtractionRoot.DeleteLink(path);
                break;
            case PathKind.Other:
                File.Delete(path);
                break;
        }

        var key = ExtractionRoot.Key(rel);
        _symlinks.Forget(key);
        _regularFiles.Remove(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return true;
    }

    /// <summary>The warning shows the name escaped and shortened: it comes from the container, and is printed.</summary>
    private void Refuse(string entryName, string why)
    {
        _refused.Add(entryName);
        _warn($"Refused artifact entry '{SafeText.Name(entryName)}': {why}.");
    }
}
