namespace DindBuild.Artifacts;

/// <summary>Outcome of <see cref="SafeTarExtractor.ExtractAsync"/>.</summary>
/// <param name="FilesWritten">Regular files written, including hardlinks materialised as copies (symlinks and directories are not counted).</param>
/// <param name="BytesWritten">Bytes of file content written; this is what the size limit is measured against.</param>
/// <param name="Refused">Names (as they appear in the archive) of the entries that were skipped or removed for safety.</param>
public sealed record ExtractionResult(int FilesWritten, long BytesWritten, IReadOnlyList<string> Refused)
{
    /// <summary>The regular files this extraction wrote, as host paths (test reports are read from these only).</summary>
    public IReadOnlyList<string> Files { get; init; } = [];
}
