using System.Buffers;
using System.Formats.Tar;

namespace DindBuild.Artifacts;

/// <summary>Outcome of <see cref="SafeTarExtractor.ExtractAsync"/>.</summary>
/// <param name="FilesWritten">Regular files written, including hardlinks materialised as copies (symlinks and directories are not counted).</param>
/// <param name="BytesWritten">Bytes of file content written; this is what the size limit is measured against.</param>
/// <param name="Refused">Names (as they appear in the archive) of the entries that were skipped or removed for safety.</param>
public sealed record ExtractionResult(int FilesWritten, long BytesWritten, IReadOnlyList<string> Refused)
{
    public IReadOnlyList<string> Files { get; init; } = [];
}

/// <summary>
/// Extracts a tar stream, such as the one Docker returns for <c>GET /containers/{id}/archive</c>, into a host
/// directory without ever creating, overwriting or following anything outside that directory.
/// </summary>
/// <remarks>
/// The archive comes from a container, i.e. from code under test, so it is treated as hostile: a build step could
/// plant <c>../</c> paths, absolute paths, devices, or a symlink followed by a file "inside" it to get the host to
/// write where it should not. Unsafe entries are skipped with a warning rather than failing the whole copy, because
/// the safe artifacts (test reports, logs) are what the user needs to diagnose the build.
/// </remarks>
public sealed class SafeTarExtractor
{
    // Only permission bits are kept: setuid/setgid/sticky from a container must not become privileged host files.
    private const UnixFileMode PermissionBits =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    // Same bound as Linux's MAXSYMLINKS: past this the kernel gives up with ELOOP, so such a link is useless anyway.
    private const int MaxSymlinkHops = 40;

    private const int CopyBufferSize = 81920;

    // Only '/' separates components in a tar name; on Windows a backslash would too once it reaches the file system.
    private static readonly char[] PathSeparators = OperatingSystem.IsWindows() ? ['/', '\\'] : ['/'];

    private static readonly SearchValues<char> InvalidNameChars = SearchValues.Create(Path.GetInvalidFileNameChars());

    private readonly string _root;
    private readonly long _maxTotalBytes;
    private readonly Action<string> _warn;

    /// <param name="destinationDirectory">Host directory to extract into; created if missing.</param>
    /// <param name="maxTotalBytes">Maximum total bytes of file content to write.</param>
    /// <param name="warn">Receives one human-readable message per refused entry.</param>
    public SafeTarExtractor(string destinationDirectory, long maxTotalBytes, Action<string> warn)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationDirectory);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTotalBytes);
        ArgumentNullException.ThrowIfNull(warn);

        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destinationDirectory));
        _maxTotalBytes = maxTotalBytes;
        _warn = warn;
    }

    public string DestinationDirectory => _root;

    public long MaxTotalBytes => _maxTotalBytes;

    /// <summary>Extracts <paramref name="tar"/> into the destination directory.</summary>
    /// <param name="tar">The archive; it is read to the end (or to the failure) but not disposed.</param>
    /// <param name="stripLeadingComponent">
    /// First path component to remove from every entry, e.g. <c>artifacts</c> when <c>/artifacts</c> was requested
    /// (Docker prefixes entries with the base name of the requested path). An entry equal to it is the requested
    /// directory itself. Entries not under it are refused. Pass an empty string to strip nothing.
    /// </param>
    /// <param name="ct">Cancels the extraction; files completed before it stay, a half-written one is removed.</param>
    /// <exception cref="ArtifactSizeLimitExceededException">
    /// Writing the next file would exceed the size limit; files written before it are kept.
    /// </exception>
    public async Task<ExtractionResult> ExtractAsync(Stream tar, string stripLeadingComponent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tar);
        ArgumentNullException.ThrowIfNull(stripLeadingComponent);
        var strip = stripLeadingComponent.TrimEnd('/');
        if (strip.Contains('/') || strip is "." or "..")
        {
            throw new ArgumentException(
                $"'{stripLeadingComponent}' is not a single path component; pass the base name of the requested path (e.g. 'artifacts' for '/artifacts').",
                nameof(stripLeadingComponent));
        }

        Directory.CreateDirectory(_root);
        var run = new Extraction(this, strip);
        await run.RunAsync(tar, ct).ConfigureAwait(false);
        return new ExtractionResult(run.FilesWritten, run.BytesWritten, run.Refused);
    }

    private static bool IsAbsolute(string path) =>
        path.StartsWith('/') || path.StartsWith('\\') || Path.IsPathRooted(path);

    private enum PathKind
    {
        Missing,
        Directory,
        Symlink,
        Other,
    }

    /// <summary>State of one extraction; kept apart so a <see cref="SafeTarExtractor"/> can be reused.</summary>
    private sealed class Extraction(SafeTarExtractor owner, string strip)
    {
        private readonly List<string> _refused = [];

        // Relative paths ('/'-joined) of regular files this run wrote: the only valid hardlink targets.
        private readonly HashSet<string> _regularFiles = new(StringComparer.Ordinal);

        // Symlinks this run created, keyed by relative path, with the entry name for reporting.
        private readonly Dictionary<string, string> _symlinks = new(StringComparer.Ordinal);

        // Directory metadata is applied at the end: writing children would bump the mtime, and a
        // read-only mode would stop the children from being written at all.
        private readonly Dictionary<string, (int Depth, UnixFileMode Mode, DateTimeOffset MTime)> _directories = new(StringComparer.Ordinal);

        public int FilesWritten { get; private set; }

        public long BytesWritten { get; private set; }

        public IReadOnlyList<string> Refused => _refused;

        private string Root => owner._root;

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
                    RemoveEscapingSymlinks();
                    ApplyDirectoryMetadata();
                }
            }
        }

        private async Task ProcessAsync(TarEntry entry, CancellationToken ct)
        {
            var isDirectory = entry.EntryType == TarEntryType.Directory;
            if (!TryMapArchivePath(entry.Name, isDirectory, out var rel, out var why))
            {
                Refuse(entry.Name, $"its path {why}");
                return;
            }

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
                case TarEntryType.CharacterDevice:
                    Refuse(entry.Name, "character devices are never extracted");
                    break;
                case TarEntryType.BlockDevice:
                    Refuse(entry.Name, "block devices are never extracted");
                    break;
                case TarEntryType.Fifo:
                    Refuse(entry.Name, "FIFOs (named pipes) are never extracted");
                    break;
                default:
                    Refuse(entry.Name, $"entries of type {entry.EntryType} are not supported");
                    break;
            }
        }

        private void ExtractDirectory(TarEntry entry, string[] rel)
        {
            // The requested directory itself: the destination belongs to the caller, so its mode is left alone.
            if (rel.Length == 0)
            {
                return;
            }

            if (CheckParents(rel) is { } parentProblem)
            {
                Refuse(entry.Name, parentProblem);
                return;
            }

            var path = FullPath(rel);
            switch (Probe(path))
            {
                case PathKind.Symlink:
                    // Replace rather than reuse: creating children through it is exactly what must not happen.
                    DeleteLink(path);
                    _symlinks.Remove(Key(rel));
                    break;
                case PathKind.Other:
                    Refuse(entry.Name, "a non-directory with that name was already extracted");
                    return;
            }

            Directory.CreateDirectory(path);
            _directories[Key(rel)] = (rel.Length, entry.Mode & PermissionBits, entry.ModificationTime);
        }

        private async Task ExtractRegularFileAsync(TarEntry entry, string[] rel, CancellationToken ct)
        {
            // Checked before anything at the path is replaced, so an oversized entry leaves the tree as it was.
            EnsureFits(entry.Name, entry.Length);
            if (!TryPrepareTarget(entry.Name, rel, out var path))
            {
                return;
            }

            if (entry.DataStream is { } data)
            {
                await CopyWithinLimitAsync(data, path, entry.Name, ct).ConfigureAwait(false);
            }
            else
            {
                await CopyWithinLimitAsync(Stream.Null, path, entry.Name, ct).ConfigureAwait(false);
            }

            ApplyFileMetadata(path, entry);
            _regularFiles.Add(Key(rel));
        }

        private void ExtractSymlink(TarEntry entry, string[] rel)
        {
            var target = entry.LinkName;
            if (string.IsNullOrEmpty(target))
            {
                Refuse(entry.Name, "the symlink has no target");
                return;
            }

            if (CheckParents(rel) is { } parentProblem)
            {
                Refuse(entry.Name, parentProblem);
                return;
            }

            if (!ResolvesInside(rel[..^1], target, out var why))
            {
                Refuse(entry.Name, $"its symlink target '{target}' {why}");
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

            _symlinks[Key(rel)] = entry.Name;
        }

        private async Task ExtractHardLinkAsync(TarEntry entry, string[] rel, CancellationToken ct)
        {
            // Hardlink targets are archive paths (prefixed like entry names), not paths relative to the link.
            if (!TryMapArchivePath(entry.LinkName, isDirectory: false, out var targetRel, out var why))
            {
                Refuse(entry.Name, $"its hardlink target '{entry.LinkName}' {why}");
                return;
            }

            // Only files this run wrote qualify: anything else could be a host file that was already in the
            // destination, or a path reached through a link.
            if (!_regularFiles.Contains(Key(targetRel)))
            {
                Refuse(entry.Name, $"its hardlink target '{entry.LinkName}' is not a regular file extracted earlier from this archive");
                return;
            }

            if (Key(targetRel) == Key(rel))
            {
                Refuse(entry.Name, "the hardlink points to itself");
                return;
            }

            var targetPath = FullPath(targetRel);
            if (CheckParents(targetRel) is not null || Probe(targetPath) != PathKind.Other)
            {
                Refuse(entry.Name, $"its hardlink target '{entry.LinkName}' was replaced by a later entry");
                return;
            }

            EnsureFits(entry.Name, new FileInfo(targetPath).Length);
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
                await CopyWithinLimitAsync(source, path, entry.Name, ct).ConfigureAwait(false);
            }

            ApplyFileMetadata(path, entry);
            _regularFiles.Add(Key(rel));
        }

        /// <summary>
        /// Validates the parents of a non-directory entry, creates them, and clears whatever the archive
        /// already put at the path, so the new entry replaces it the way tar does.
        /// </summary>
        private bool TryPrepareTarget(string entryName, string[] rel, out string path)
        {
            path = FullPath(rel);
            if (CheckParents(rel) is { } parentProblem)
            {
                Refuse(entryName, parentProblem);
                return false;
            }

            switch (Probe(path))
            {
                case PathKind.Directory:
                    Refuse(entryName, "a directory with that name already exists");
                    return false;
                case PathKind.Symlink:
                    // Writing "into" an existing symlink would follow it; removing it writes a fresh file instead.
                    DeleteLink(path);
                    break;
                case PathKind.Other:
                    File.Delete(path);
                    break;
            }

            _symlinks.Remove(Key(rel));
            _regularFiles.Remove(Key(rel));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return true;
        }

        /// <summary>
        /// Returns why the entry must be refused if any existing parent below the root is a symlink or not a
        /// directory; null when every parent is a real directory or does not exist yet.
        /// </summary>
        private string? CheckParents(string[] rel)
        {
            var current = Root;
            for (var i = 0; i < rel.Length - 1; i++)
            {
                current = Path.Join(current, rel[i]);
                switch (Probe(current))
                {
                    case PathKind.Missing:
                        // Nothing deeper can exist either.
                        return null;
                    case PathKind.Symlink:
                        return $"its parent '{string.Join('/', rel[..(i + 1)])}' is a symlink, and writing through it could reach outside the destination";
                    case PathKind.Other:
                        return $"its parent '{string.Join('/', rel[..(i + 1)])}' is not a directory";
                }
            }

            return null;
        }

        /// <summary>
        /// Resolves <paramref name="target"/> the way the kernel would, starting in the directory
        /// <paramref name="baseRel"/> and following symlinks that already exist, and reports whether every
        /// step stays inside the destination.
        /// </summary>
        /// <remarks>
        /// A purely textual check is not enough: with <c>d/up -&gt; ..</c> in place, <c>d/up/../..</c> looks like
        /// the root but actually resolves to the root's parent.
        /// </remarks>
        private bool ResolvesInside(IReadOnlyList<string> baseRel, string target, out string why)
        {
            var stack = new List<string>(baseRel);
            var hops = 0;
            return Walk(stack, target, ref hops, out why);
        }

        private bool Walk(List<string> stack, string target, ref int hops, out string why)
        {
            if (IsAbsolute(target))
            {
                why = "is an absolute path, which would point outside the destination";
                return false;
            }

            foreach (var component in target.Split(PathSeparators))
            {
                if (component is "" or ".")
                {
                    continue;
                }

                if (component == "..")
                {
                    if (stack.Count == 0)
                    {
                        why = "resolves outside the destination";
                        return false;
                    }

                    stack.RemoveAt(stack.Count - 1);
                    continue;
                }

                if (component.AsSpan().IndexOfAny(InvalidNameChars) >= 0)
                {
                    why = "contains a character that is not valid in a file name";
                    return false;
                }

                stack.Add(component);
                var path = FullPath(stack);
                if (Probe(path) != PathKind.Symlink)
                {
                    continue;
                }

                if (++hops > MaxSymlinkHops)
                {
                    why = "cannot be resolved (too many levels of symlinks)";
                    return false;
                }

                var linkRel = string.Join('/', stack);
                var next = new FileInfo(path).LinkTarget;
                stack.RemoveAt(stack.Count - 1);
                if (next is null)
                {
                    why = $"goes through the symlink '{linkRel}', which could not be read";
                    return false;
                }

                if (!Walk(stack, next, ref hops, out var inner))
                {
                    why = $"{inner} (via the existing symlink '{linkRel}' -> '{next}')";
                    return false;
                }
            }

            why = "";
            return true;
        }

        /// <summary>
        /// Re-checks every symlink once the tree is final: a link that was safe when created can escape once a
        /// later entry adds a symlink it passes through, or removes one it relied on.
        /// </summary>
        private void RemoveEscapingSymlinks()
        {
            bool removedAny;
            do
            {
                removedAny = false;
                foreach (var (key, entryName) in _symlinks.ToArray())
                {
                    var rel = key.Split('/');
                    var path = FullPath(rel);
                    if (Probe(path) != PathKind.Symlink || new FileInfo(path).LinkTarget is not { } target)
                    {
                        _symlinks.Remove(key);
                        continue;
                    }

                    if (!ResolvesInside(rel[..^1], target, out var why))
                    {
                        DeleteLink(path);
                        _symlinks.Remove(key);
                        Refuse(entryName, $"it was removed after extraction because, with the later entries in place, its symlink target '{target}' {why}");

                        // Removing a link changes how other links resolve, so check them all again.
                        removedAny = true;
                    }
                }
            }
            while (removedAny);
        }

        private void ApplyDirectoryMetadata()
        {
            // Deepest first, so a parent made non-searchable does not block updating its children.
            foreach (var (key, meta) in _directories.OrderByDescending(d => d.Value.Depth))
            {
                var path = FullPath(key.Split('/'));
                if (Probe(path) != PathKind.Directory)
                {
                    continue;
                }

                try
                {
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(path, meta.Mode);
                    }

                    Directory.SetLastWriteTimeUtc(path, meta.MTime.UtcDateTime);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Metadata is cosmetic; losing it must not hide the real outcome of the extraction.
                    owner._warn($"Could not set the mode/mtime of artifact directory '{key}': {ex.Message}");
                }
            }
        }

        private static void ApplyFileMetadata(string path, TarEntry entry)
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, entry.Mode & PermissionBits);
            }

            File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
        }

        private void EnsureFits(string entryName, long length)
        {
            if (length > owner._maxTotalBytes - BytesWritten)
            {
                throw LimitExceeded(entryName);
            }
        }

        /// <summary>Streams <paramref name="source"/> into a new file, enforcing the limit on the bytes actually read.</summary>
        private async Task CopyWithinLimitAsync(Stream source, string path, string entryName, CancellationToken ct)
        {
            long written = 0;
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
            try
            {
                // CreateNew (O_EXCL) refuses to open anything that already exists, including a symlink, so
                // nothing can be followed even if the path changed since it was checked.
                var destination = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    Share = FileShare.None,
                    Options = FileOptions.Asynchronous,
                });
                await using (destination.ConfigureAwait(false))
                {
                    int read;
                    while ((read = await source.ReadAsync(buffer.AsMemory(0, CopyBufferSize), ct).ConfigureAwait(false)) > 0)
                    {
                        // The header length is only a claim; the limit is enforced on what actually arrives.
                        if (read > owner._maxTotalBytes - BytesWritten - written)
                        {
                            throw LimitExceeded(entryName);
                        }

                        await destination.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                        written += read;
                    }
                }
            }
            catch
            {
                // A truncated file would look like a complete artifact, so it is not kept.
                TryDeletePartial(path);
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            FilesWritten++;
            BytesWritten += written;
        }

        private void TryDeletePartial(string path)
        {
            try
            {
                if (Probe(path) == PathKind.Other)
                {
                    File.Delete(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                owner._warn($"Could not delete the partially written artifact '{path}': {ex.Message}");
            }
        }

        private ArtifactSizeLimitExceededException LimitExceeded(string entryName) =>
            new(entryName, owner._maxTotalBytes, FilesWritten, BytesWritten, Root);

        /// <summary>
        /// Turns an archive path into components relative to the destination, or explains why it is unsafe.
        /// </summary>
        private bool TryMapArchivePath(string archivePath, bool isDirectory, out string[] rel, out string why)
        {
            rel = [];
            if (string.IsNullOrEmpty(archivePath))
            {
                why = "is empty";
                return false;
            }

            if (IsAbsolute(archivePath))
            {
                why = "is absolute";
                return false;
            }

            var components = archivePath.Split('/').Where(c => c is not ("" or ".")).ToList();
            if (components.Contains(".."))
            {
                why = "contains a '..' component";
                return false;
            }

            if (components.Any(c => c.AsSpan().IndexOfAny(InvalidNameChars) >= 0))
            {
                why = "contains a character that is not valid in a file name";
                return false;
            }

            if (strip.Length > 0)
            {
                if (components.Count == 0 || components[0] != strip)
                {
                    why = $"is not under '{strip}/', the path that was requested";
                    return false;
                }

                // A non-directory named exactly like the requested path means a single file was requested:
                // it is written under its own name rather than replacing the destination directory.
                if (components.Count > 1 || isDirectory)
                {
                    components.RemoveAt(0);
                }
            }
            else if (components.Count == 0 && !isDirectory)
            {
                why = "names the destination directory itself";
                return false;
            }

            rel = [.. components];
            why = "";
            return true;
        }

        private void Refuse(string entryName, string why)
        {
            _refused.Add(entryName);
            owner._warn($"Refused artifact entry '{entryName}': {why}.");
        }

        private string FullPath(IEnumerable<string> rel)
        {
            var path = Path.Join(Root, string.Join(Path.DirectorySeparatorChar, rel));

            // Defence in depth against platform path quirks (e.g. Windows trimming trailing dots) that the
            // component checks do not model.
            var full = Path.GetFullPath(path);
            if (full != Root && !full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Refusing to touch '{full}': it is outside the artifact destination '{Root}'.");
            }

            return full;
        }

        private static string Key(IEnumerable<string> rel) => string.Join('/', rel);

        private static void DeleteLink(string path) => new FileInfo(path).Delete();

        /// <summary>Classifies a path without following it if it is a symlink.</summary>
        private static PathKind Probe(string path)
        {
            var info = new FileInfo(path);
            var attributes = info.Attributes;
            if ((int)attributes == -1)
            {
                return PathKind.Missing;
            }

            // ReparsePoint also catches Windows junctions, which LinkTarget reports but are not "symlinks" per se.
            if (info.LinkTarget is not null || attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                return PathKind.Symlink;
            }

            return attributes.HasFlag(FileAttributes.Directory) ? PathKind.Directory : PathKind.Other;
        }
    }
}
