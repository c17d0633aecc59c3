namespace DindBuild.Artifacts;

/// <summary>
/// The symlinks one extraction created, so they can be re-checked once the tree is final: a link that was safe
/// when created can escape once a later entry adds a symlink it passes through, or removes one it relied on.
/// </summary>
internal sealed class ExtractedSymlinks(ExtractionRoot root, SymlinkResolver resolver)
{
    // Keyed by relative path ('/'-joined), with the entry name for reporting.
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    public void Record(string key, string entryName) => _links[key] = entryName;

    /// <summary>The link at <paramref name="key"/> was removed or replaced; nothing there needs re-checking.</summary>
    public void Forget(string key) => _links.Remove(key);

    /// <summary>Deletes every recorded link that now resolves outside, reporting each to <paramref name="refuse"/> (entry name, reason).</summary>
    public void RemoveEscaping(Action<string, string> refuse)
    {
        bool removedAny;
        do
        {
            removedAny = false;
            foreach (var (key, entryName) in _links.ToArray())
            {
                var rel = key.Split('/');
                var path = root.FullPath(rel);
                if (ExtractionRoot.Probe(path) != PathKind.Symlink || new FileInfo(path).LinkTarget is not { } target)
                {
                    _links.Remove(key);
                    continue;
                }

                if (!resolver.ResolvesInside(rel[..^1], target, out var why))
                {
                    ExtractionRoot.DeleteLink(path);
                    _links.Remove(key);
                    refuse(entryName, $"it was removed after extraction because, with the later entries in place, its symlink target '{Diagnostics.SafeText.Name(target)}' {why}");

                    // Removing a link changes how other links resolve, so check them all again.
                    removedAny = true;
                }
            }
        }
        while (removedAny);
    }
}
