using System.Formats.Tar;

namespace DindBuild.ImageBuild;

/// <summary>
/// Packs a build context the way the docker CLI does before calling the engine's build endpoint:
/// an uncompressed PAX tar, filtered by <c>.dockerignore</c>, owned by root, symlinks kept as links. Unlike docker,
/// it never sends DindBuild's state or the run's artifacts directory (<see cref="NeverSent"/>), ignore file or not.
/// </summary>
internal static class BuildContextArchive
{
    private const UnixFileMode SymlinkMode = (UnixFileMode)0x1FF; // 0777, what lstat reports for a Linux symlink.

    // docker on Windows cannot know the intended Linux mode, so it sends 0755 for everything; so do we.
    private const UnixFileMode WindowsMode = (UnixFileMode)0x1ED;

    // Hidden and system entries (dotfiles on Unix) are part of the context; the defaults would drop them.
    private static readonly EnumerationOptions ListDirectory = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>
    /// Writes the context directory as a tar to <paramref name="destination"/>, which is left open.
    /// </summary>
    /// <param name="contextDirectory">The build context root.</param>
    /// <param name="dockerfileRelativePath">
    /// The Dockerfile, relative to the context (an absolute path inside the context is accepted too). It and the
    /// root <c>.dockerignore</c> are always sent, because the engine needs them even when the ignore file matches them.
    /// </param>
    /// <param name="destination">Receives the archive; it does not need to be seekable.</param>
    /// <param name="cancellationToken">Stops between entries and during file copies.</param>
    /// <param name="neverSent">What is left out whatever <c>.dockerignore</c> says; default: <see cref="NeverSent.StateOnly"/>.</param>
    /// <exception cref="ArgumentException">The context directory or Dockerfile path is unusable.</exception>
    /// <exception cref="FormatException">The <c>.dockerignore</c> contains an invalid pattern.</exception>
    /// <exception cref="IOException">A file in the context cannot be read.</exception>
    public static async Task WriteAsync(
        string contextDirectory,
        string dockerfileRelativePath,
        Stream destination,
        CancellationToken cancellationToken,
        NeverSent? neverSent = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ValidateContextDirectory(contextDirectory);

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(contextDirectory));
        var dockerfile = NormalizeDockerfilePath(root, dockerfileRelativePath);
        neverSent ??= NeverSent.StateOnly;
        if (neverSent.Contains(dockerfile))
        {
            throw new ArgumentException(
                $"The Dockerfile '{dockerfileRelativePath}' is inside DindBuild's state directory or the artifacts directory, which are never sent in a build context. Keep the Dockerfile elsewhere in the context.",
                nameof(dockerfileRelativePath));
        }

        var walk = new Walk(
            root,
            neverSent,
            DockerIgnore.Load(root),
            new HashSet<string>(StringComparer.Ordinal) { DockerIgnore.FileName, dockerfile },
            // Writing the archive into the context would otherwise make it try to contain itself.
            destination is FileStream file ? Path.GetFullPath(file.Name) : null);

        // GNU headers, not PAX: BuildKit tells a tar context from a bare Dockerfile by reading one entry from the
        // first 1024 bytes, and a PAX entry's extended header fills those (the context was taken for a Dockerfile).
        var writer = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            await WriteChildrenAsync(writer, walk, new DirectoryInfo(root), string.Empty, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Rejects context directories that are missing, or that are almost certainly a mistake to upload whole
    /// (the filesystem root, the user's home directory).
    /// </summary>
    /// <exception cref="ArgumentException">The directory is not a sensible build context.</exception>
    public static void ValidateContextDirectory(string contextDirectory) => ContextDirectoryGuard.Validate(contextDirectory);

    private static async Task WriteChildrenAsync(
        TarWriter writer,
        Walk walk,
        DirectoryInfo directory,
        string relativeDirectory,
        CancellationToken cancellationToken)
    {
        FileSystemInfo[] children;
        try
        {
            children = directory.GetFileSystemInfos("*", ListDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(walk, relativeDirectory.Length == 0 ? "." : relativeDirectory, ex);
        }

        // Sorting each directory yields a depth-first walk in Go's filepath.WalkDir order, so parents precede children.
        Array.Sort(children, static (a, b) => string.CompareOrdinal(a.Name, b.Name));

        foreach (var child in children)
        {
            cancellationToken.ThrowIfCancellationRequested();

            var relative = relativeDirectory.Length == 0 ? child.Name : relativeDirectory + "/" + child.Name;
            var kind = Classify(child);
            if (kind == EntryKind.Unsupported)
            {
                // Sockets, FIFOs and devices cannot be meaningfully sent; opening a FIFO would even block forever.
                continue;
            }

            if (walk.NeverSent.Contains(relative))
            {
                // Not even walked: no .dockerignore exception can bring DindBuild's state or the artifacts into an image.
                continue;
            }

            var excluded = !walk.AlwaysIncluded.Contains(relative) && walk.Ignore.IsExcluded(relative);
            if (kind == EntryKind.Directory)
            {
                if (excluded && walk.CanSkipDirectory(relative))
                {
                    continue;
                }

                // An excluded directory still gets walked for re-included content, but like docker we send
                // only that content, not the directory entry itself.
                if (!excluded)
                {
                    await writer.WriteEntryAsync(CreateEntry(TarEntryType.Directory, relative + "/", child), cancellationToken)
                        .ConfigureAwait(false);
                }

                await WriteChildrenAsync(writer, walk, (DirectoryInfo)child, relative, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (excluded)
            {
                continue;
            }

            if (kind == EntryKind.SymbolicLink)
            {
                var link = CreateEntry(TarEntryType.SymbolicLink, relative, child);
                link.LinkName = child.LinkTarget!;
                await writer.WriteEntryAsync(link, cancellationToken).ConfigureAwait(false);
            }
            else if (!string.Equals(child.FullName, walk.DestinationPath, StringComparison.Ordinal))
            {
                await WriteFileAsync(writer, walk, relative, child, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task WriteFileAsync(
        TarWriter writer,
        Walk walk,
        string relative,
        FileSystemInfo file,
        CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(file.FullName, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(walk, relative, ex);
        }

        // The header's size is fixed before the data is copied, so pin it to the size seen at open time.
        var data = new FixedLengthReadStream(stream, stream.Length, relative);
        await using (data.ConfigureAwait(false))
        {
            var entry = CreateEntry(TarEntryType.RegularFile, relative, file);
            entry.DataStream = data;
            await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
        }
    }

    private static GnuTarEntry CreateEntry(TarEntryType type, string name, FileSystemInfo source)
    {
        var mode = OperatingSystem.IsWindows() ? WindowsMode
            : type == TarEntryType.SymbolicLink ? SymlinkMode
            : source.UnixFileMode;

        // Whole seconds, like docker: sub-second noise would only defeat layer caching and reproducibility.
        var modified = new DateTimeOffset(source.LastWriteTimeUtc);
        var seconds = Math.Max(0, modified.ToUnixTimeSeconds());

        return new GnuTarEntry(type, name)
        {
            Mode = mode,
            ModificationTime = DateTimeOffset.FromUnixTimeSeconds(seconds),
            Uid = 0,
            Gid = 0,
            UserName = string.Empty,
            GroupName = string.Empty,
        };
    }

    private static EntryKind Classify(FileSystemInfo info)
    {
        if ((info.Attributes & FileAttributes.ReparsePoint) != 0 && info.LinkTarget is not null)
        {
            return EntryKind.SymbolicLink;
        }

        if (info is DirectoryInfo)
        {
            return EntryKind.Directory;
        }

        return OperatingSystem.IsWindows() || UnixFileType.IsRegularOrUnknown(info.FullName)
            ? EntryKind.RegularFile
            : EntryKind.Unsupported;
    }

    private static string NormalizeDockerfilePath(string root, string dockerfileRelativePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dockerfileRelativePath);

        var relative = Path.IsPathRooted(dockerfileRelativePath)
            ? Path.GetRelativePath(root, Path.GetFullPath(dockerfileRelativePath))
            : dockerfileRelativePath;
        if (Path.DirectorySeparatorChar != '/')
        {
            relative = relative.Replace(Path.DirectorySeparatorChar, '/');
        }

        relative = DockerIgnore.CleanPath(relative);
        if (relative is "." or ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new ArgumentException(
                $"The Dockerfile '{dockerfileRelativePath}' is not inside the build context '{root}'. Move the Dockerfile into the context directory, or pass a context directory that contains it.",
                nameof(dockerfileRelativePath));
        }

        return relative;
    }

    private static IOException Unreadable(Walk walk, string relative, Exception inner) =>
        new($"Cannot read '{relative}' in the build context '{walk.Root}': {inner.Message} Fix its permissions, or exclude it in .dockerignore if the build does not need it.", inner);

    private enum EntryKind
    {
        RegularFile,
        Directory,
        SymbolicLink,
        Unsupported,
    }

    private sealed record Walk(string Root, NeverSent NeverSent, DockerIgnore Ignore, HashSet<string> AlwaysIncluded, string? DestinationPath)
    {
        public bool CanSkipDirectory(string relative)
        {
            if (!Ignore.CanSkipDirectory(relative))
            {
                return false;
            }

            var inside = relative + "/";
            return !AlwaysIncluded.Any(path => path.StartsWith(inside, StringComparison.Ordinal));
        }
    }
}
