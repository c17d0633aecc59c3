using DindBuild.IO;

namespace DindBuild.ImageBuild;

/// <summary>
/// What a build context never carries, whether or not <c>.dockerignore</c> says so and whatever its <c>!</c> exceptions
/// re-include: every entry named <c>.dindbuild</c> (DindBuild's state: daemon endpoints, client certificates' paths,
/// packages), and directories given by path that lie inside the context (the run's host artifacts directory: earlier
/// reports and the JSON log being written while the context is read). <c>docker build</c> has no such rule; a team
/// that wants a file from there in its image copies it elsewhere first.
/// </summary>
internal sealed class NeverSent
{
    private readonly HashSet<string> _relativeDirectories;

    private NeverSent(HashSet<string> relativeDirectories) => _relativeDirectories = relativeDirectories;

    /// <summary>Only the state directory's name.</summary>
    public static NeverSent StateOnly { get; } = new([]);

    /// <summary>The state directory's name, plus each of <paramref name="directories"/> that is strictly inside <paramref name="contextRoot"/>.</summary>
    public static NeverSent For(string contextRoot, IEnumerable<string> directories)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(contextRoot));
        var inside = new HashSet<string>(StringComparer.Ordinal);
        foreach (var directory in directories)
        {
            var relative = Path.GetRelativePath(root, Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
            if (Path.DirectorySeparatorChar != '/')
            {
                relative = relative.Replace(Path.DirectorySeparatorChar, '/');
            }

            if (relative != "." && relative != ".." && !relative.StartsWith("../", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                inside.Add(relative);
            }
        }

        return new(inside);
    }

    /// <summary>The context-relative, '/'-separated paths given by path (for the log).</summary>
    public IReadOnlyCollection<string> Directories => _relativeDirectories;

    /// <summary>True for <paramref name="relativePath"/> itself being never sent, or lying below something that is.</summary>
    public bool Contains(string relativePath)
    {
        var segments = relativePath.Split('/');
        if (Array.Exists(segments, segment => segment == StateDirectory.Name))
        {
            return true;
        }

        for (var length = 1; length <= segments.Length; length++)
        {
            if (_relativeDirectories.Contains(string.Join('/', segments, 0, length)))
            {
                return true;
            }
        }

        return false;
    }
}
