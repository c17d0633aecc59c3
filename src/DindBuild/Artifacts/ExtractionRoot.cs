namespace DindBuild.Artifacts;

/// <summary>
/// The destination directory of an extraction: turns relative components into host paths that are proven to
/// stay below it, and looks at what is already there without following symlinks.
/// </summary>
internal sealed class ExtractionRoot(string root)
{
    public string Root => root;

    /// <summary>The '/'-joined form of relative components, used as a key for what a run has written.</summary>
    public static string Key(IEnumerable<string> rel) => string.Join('/', rel);

    public static void DeleteLink(string path) => new FileInfo(path).Delete();

    /// <summary>Classifies a path without following it if it is a symlink.</summary>
    public static PathKind Probe(string path)
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

    public string FullPath(IEnumerable<string> rel)
    {
        var path = Path.Join(root, string.Join(Path.DirectorySeparatorChar, rel));

        // Defence in depth against platform path quirks (e.g. Windows trimming trailing dots) that the
        // component checks do not model.
        var full = Path.GetFullPath(path);
        if (full != root && !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Refusing to touch '{full}': it is outside the artifact destination '{root}'.");
        }

        return full;
    }

    /// <summary>
    /// Why nothing may be extracted at <paramref name="rel"/> in this destination, or null: it is (or is under) one of
    /// DindBuild's own names, or its host path would be too long for the file system (the destination adds to the name).
    /// </summary>
    public string? WhyNotHere(string[] rel)
    {
        if (rel.Length > 0 && ReservedArtifactNames.IsReserved(rel[0]))
        {
            return $"'{Diagnostics.SafeText.Name(rel[0])}' is DindBuild's own (its log, its report or a probe file), which the artifacts must not replace";
        }

        var bytes = System.Text.Encoding.UTF8.GetByteCount(FullPath(rel));
        return bytes > ArchivePath.MaxPathBytes
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"its path would be a host path of {bytes} bytes under the artifacts directory, more than the {ArchivePath.MaxPathBytes} a path may have (PATH_MAX)")
            : null;
    }

    /// <summary>
    /// Returns why the entry must be refused if any existing parent below the root is a symlink or not a
    /// directory; null when every parent is a real directory or does not exist yet.
    /// </summary>
    public string? CheckParents(string[] rel)
    {
        var current = root;
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
}
