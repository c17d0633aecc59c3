namespace DindBuild.Diagnostics;

/// <summary>A line in one of the user's files, for annotations that point at it (GitHub's <c>file=…,line=…</c>).</summary>
public sealed record SourceLocation(string File, int Line)
{
    /// <summary>The same line with the file relative to <paramref name="repositoryRoot"/>; null for a file outside it, which an annotation cannot show.</summary>
    public SourceLocation? RelativeTo(string repositoryRoot)
    {
        var relative = Path.GetRelativePath(repositoryRoot, File);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? null : this with { File = relative };
    }
}
