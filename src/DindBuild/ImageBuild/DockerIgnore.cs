using System.Text;

namespace DindBuild.ImageBuild;

/// <summary>
/// A <c>.dockerignore</c> matcher with the semantics of the docker CLI (moby/patternmatcher and its
/// <c>ignorefile</c> reader), so that the build context we send equals what <c>docker build</c> would send.
/// </summary>
/// <remarks>
/// Patterns always use '/' as the separator and '\' as the escape character, as the docker CLI does on
/// Linux and macOS. Deliberate differences from moby, where moby's behaviour is an accident of translating
/// globs to Go regular expressions: an escaped letter (<c>\d</c>) is that literal letter rather than a regex
/// class, a '^' outside a character class is a literal character rather than an anchor, and '*' or '?'
/// inside a character class are literal characters. Like moby (and unlike shells and .gitignore),
/// <c>[!x]</c> is NOT a negated class: only <c>[^x]</c> negates, and a negated class can match '/'.
/// </remarks>
internal sealed class DockerIgnore
{
    public const string FileName = ".dockerignore";

    private readonly IgnorePattern[] _patterns;

    private DockerIgnore(IgnorePattern[] patterns)
    {
        _patterns = patterns;
        HasExceptions = Array.Exists(patterns, p => p.IsException);
    }

    /// <summary>A matcher without patterns: nothing is excluded.</summary>
    public static DockerIgnore Empty { get; } = new([]);

    /// <summary>True when any pattern starts with '!', i.e. excluded content may be re-included.</summary>
    public bool HasExceptions { get; }

    /// <summary>The normalized patterns in file order, exceptions prefixed with '!'.</summary>
    public IReadOnlyList<string> Patterns => Array.ConvertAll(_patterns, p => p.ToString());

    /// <summary>Parses the contents of a <c>.dockerignore</c> file.</summary>
    /// <exception cref="FormatException">A pattern is malformed; docker would refuse it as well.</exception>
    public static DockerIgnore Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        var patterns = new List<IgnorePattern>();
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.EndsWith('\r') ? rawLine[..^1] : rawLine;
            if (lineNumber == 1)
            {
                line = line.TrimStart('\uFEFF');
            }

            // docker checks for '#' before trimming, so an indented '#' is a pattern, not a comment.
            if (line.StartsWith('#'))
            {
                continue;
            }

            var pattern = line.Trim();
            if (pattern.Length == 0)
            {
                continue;
            }

            var isException = pattern[0] == '!';
            if (isException)
            {
                pattern = pattern[1..].Trim();
                if (pattern.Length == 0)
                {
                    throw new FormatException(
                        $".dockerignore line {lineNumber}: '!' must be followed by the pattern to re-include (for example '!src/keep.txt').");
                }
            }

            pattern = CleanPath(pattern);
            if (pattern.Length > 1 && pattern[0] == '/')
            {
                // A leading '/' means "the context root", which is where every pattern is anchored anyway.
                pattern = pattern[1..];
            }

            patterns.Add(IgnorePattern.Compile(pattern, isException, lineNumber));
        }

        return new DockerIgnore([.. patterns]);
    }

    /// <summary>Reads <c>&lt;contextDirectory&gt;/.dockerignore</c>, or returns <see cref="Empty"/> when there is none.</summary>
    public static DockerIgnore Load(string contextDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contextDirectory);

        var path = Path.Combine(contextDirectory, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path, Encoding.UTF8)) : Empty;
    }

    /// <summary>
    /// True when the last pattern matching <paramref name="relativePath"/> or one of its parent directories
    /// excludes it. The path is relative to the context root and '/'-separated.
    /// </summary>
    public bool IsExcluded(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);

        var path = NormalizeRelativePath(relativePath);
        if (path == "." || _patterns.Length == 0)
        {
            // docker never lets a pattern exclude the context root itself.
            return false;
        }

        var parents = ParentPrefixes(path);
        for (var i = _patterns.Length - 1; i >= 0; i--)
        {
            var pattern = _patterns[i];
            if (pattern.IsMatch(path) || parents.Exists(pattern.IsMatch))
            {
                return !pattern.IsException;
            }
        }

        return false;
    }

    /// <summary>
    /// True when a walker may skip the directory without looking inside: it is excluded and no exception
    /// pattern could re-include anything below it.
    /// </summary>
    public bool CanSkipDirectory(string relativeDirectoryPath)
    {
        if (!IsExcluded(relativeDirectoryPath))
        {
            return false;
        }

        if (!HasExceptions)
        {
            return true;
        }

        var inside = NormalizeRelativePath(relativeDirectoryPath) + "/";
        return !Array.Exists(_patterns, p => p.IsException && p.CouldMatchBelow(inside));
    }

    /// <summary>Go's <c>path.Clean</c>: the same lexical normalization docker applies to patterns.</summary>
    internal static string CleanPath(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..")
                {
                    parts.RemoveAt(parts.Count - 1);
                    continue;
                }

                if (rooted)
                {
                    continue;
                }
            }

            parts.Add(segment);
        }

        var joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    private static string NormalizeRelativePath(string relativePath) =>
        CleanPath(relativePath).TrimStart('/') is { Length: > 0 } cleaned ? cleaned : ".";

    private static List<string> ParentPrefixes(string path)
    {
        var parents = new List<string>();
        for (var slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            parents.Add(path[..slash]);
        }

        return parents;
    }
}
