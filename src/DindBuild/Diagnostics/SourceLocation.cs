namespace DindBuild.Diagnostics;

/// <summary>A line in one of the user's files, for annotations that point at it (GitHub's <c>file=…,line=…</c>).</summary>
public sealed record SourceLocation(string File, int Line);
