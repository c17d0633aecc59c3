namespace DindBuild.Artifacts;

/// <summary>Outcome of <see cref="SafeTarExtractor.ExtractAsync"/>.</summary>
/// <param name="FilesWritten">Regular files written, including hardlinks materialised as copies (symlinks and directories are not counted).</param>
/// <param name="BytesWritten">Bytes of file content written (the size limit also counts every entry: see <see cref="CountedBytes"/>).</param>
/// <param name="Refused">Names (as they appear in the archive) of the entries that were skipped or removed for safety.</param>
public sealed record ExtractionResult(int FilesWritten, long BytesWritten, IReadOnlyList<string> Refused)
{
    /// <summary>The regular files this extraction wrote, as host paths (test reports are read from these only).</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Entries read from the archive, written or refused; what <c>--artifacts-max-entries</c> limits.</summary>
    public int Entries { get; init; }

    /// <summary>Bytes counted against <c>--artifacts-max-size</c>: every entry's fixed cost, name and link target, and the content.</summary>
    public long CountedBytes { get; init; }
}
