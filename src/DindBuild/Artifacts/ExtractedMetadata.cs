using System.Formats.Tar;

namespace DindBuild.Artifacts;

/// <summary>
/// Applies the mode and mtime of archive entries: a file's right after it is written, the directories' only
/// once the whole archive has been extracted.
/// </summary>
internal sealed class ExtractedMetadata(ExtractionRoot root, Action<string> warn)
{
    // Only permission bits are kept: setuid/setgid/sticky from a container must not become privileged host files.
    private const UnixFileMode PermissionBits =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    // Directory metadata is applied at the end: writing children would bump the mtime, and a
    // read-only mode would stop the children from being written at all.
    private readonly Dictionary<string, (int Depth, UnixFileMode Mode, DateTimeOffset MTime)> _directories = new(StringComparer.Ordinal);

    public static void ApplyToFile(string path, TarEntry entry)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, entry.Mode & PermissionBits);
        }

        File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
    }

    /// <summary>Remembers the directory entry's metadata for <see cref="ApplyToDirectories"/>; a later entry for the same directory wins.</summary>
    public void DeferDirectory(string[] rel, TarEntry entry) =>
        _directories[ExtractionRoot.Key(rel)] = (rel.Length, entry.Mode & PermissionBits, entry.ModificationTime);

    public void ApplyToDirectories()
    {
        // Deepest first, so a parent made non-searchable does not block updating its children.
        foreach (var (key, meta) in _directories.OrderByDescending(d => d.Value.Depth))
        {
            var path = root.FullPath(key.Split('/'));
            if (ExtractionRoot.Probe(path) != PathKind.Directory)
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
                warn($"Could not set the mode/mtime of artifact directory '{key}': {ex.Message}");
            }
        }
    }
}
