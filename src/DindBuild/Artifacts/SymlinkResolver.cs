namespace DindBuild.Artifacts;

/// <summary>
/// Resolves a symlink target the way the kernel would, following the symlinks that already exist in the
/// destination, to tell whether it stays inside.
/// </summary>
/// <remarks>
/// A purely textual check is not enough: with <c>d/up -&gt; ..</c> in place, <c>d/up/../..</c> looks like
/// the root but actually resolves to the root's parent.
/// </remarks>
internal sealed class SymlinkResolver(ExtractionRoot root)
{
    // Same bound as Linux's MAXSYMLINKS: past this the kernel gives up with ELOOP, so such a link is useless anyway.
    private const int MaxSymlinkHops = 40;

    // Only '/' separates components in a tar name; on Windows a backslash would too once it reaches the file system.
    private static readonly char[] PathSeparators = OperatingSystem.IsWindows() ? ['/', '\\'] : ['/'];

    /// <summary>
    /// Resolves <paramref name="target"/> starting in the directory <paramref name="baseRel"/> and reports
    /// whether every step stays inside the destination.
    /// </summary>
    public bool ResolvesInside(IReadOnlyList<string> baseRel, string target, out string why)
    {
        var stack = new List<string>(baseRel);
        var hops = 0;
        return Walk(stack, target, ref hops, out why);
    }

    private bool Walk(List<string> stack, string target, ref int hops, out string why)
    {
        if (ArchivePath.IsAbsolute(target))
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

            if (ArchivePath.HasInvalidNameChar(component))
            {
                why = "contains a character that is not valid in a file name";
                return false;
            }

            stack.Add(component);
            var path = root.FullPath(stack);
            if (System.Text.Encoding.UTF8.GetByteCount(path) > ArchivePath.MaxPathBytes || ArchivePath.WhyTooLong(component) is not null)
            {
                // Asking the host would only throw; the kernel would fail the lookup with ENAMETOOLONG.
                why = "resolves to a host path that is too long (PATH_MAX, NAME_MAX)";
                return false;
            }

            if (ExtractionRoot.Probe(path) != PathKind.Symlink)
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
}
