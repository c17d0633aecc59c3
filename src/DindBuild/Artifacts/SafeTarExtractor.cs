namespace DindBuild.Artifacts;

/// <summary>
/// Extracts a tar stream, such as the one Docker returns for <c>GET /containers/{id}/archive</c>, into a host
/// directory without ever creating, overwriting or following anything outside that directory.
/// </summary>
/// <remarks>
/// The archive comes from a container, i.e. from code under test, so it is treated as hostile: a build step could
/// plant <c>../</c> paths, absolute paths, devices, or a symlink followed by a file "inside" it to get the host to
/// write where it should not. Unsafe entries are skipped with a warning rather than failing the whole copy, because
/// the safe artifacts (test reports, logs) are what the user needs to diagnose the build.
/// </remarks>
internal sealed class SafeTarExtractor
{
    private readonly string _root;
    private readonly long _maxTotalBytes;
    private readonly int _maxEntries;
    private readonly Action<string> _warn;

    /// <param name="destinationDirectory">Host directory to extract into; created if missing.</param>
    /// <param name="maxTotalBytes">
    /// Maximum bytes counted: file content, plus for every entry <see cref="ExtractionBudget.EntryBytes"/> and the
    /// length of its name and link target.
    /// </param>
    /// <param name="warn">Receives one human-readable message per refused entry.</param>
    /// <param name="maxEntries">Maximum number of entries in the archive, refused ones included.</param>
    public SafeTarExtractor(string destinationDirectory, long maxTotalBytes, Action<string> warn, int maxEntries = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationDirectory);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTotalBytes);
        ArgumentNullException.ThrowIfNull(warn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);

        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destinationDirectory));
        _maxTotalBytes = maxTotalBytes;
        _maxEntries = maxEntries;
        _warn = warn;
    }

    public string DestinationDirectory => _root;

    public long MaxTotalBytes => _maxTotalBytes;

    public int MaxEntries => _maxEntries;

    /// <summary>Extracts <paramref name="tar"/> into the destination directory.</summary>
    /// <param name="tar">The archive; it is read to the end (or to the failure) but not disposed.</param>
    /// <param name="stripLeadingComponent">
    /// First path component to remove from every entry, e.g. <c>artifacts</c> when <c>/artifacts</c> was requested
    /// (Docker prefixes entries with the base name of the requested path). An entry equal to it is the requested
    /// directory itself. Entries not under it are refused. Pass an empty string to strip nothing.
    /// </param>
    /// <param name="ct">Cancels the extraction; files completed before it stay, a half-written one is removed.</param>
    /// <exception cref="ArtifactSizeLimitExceededException">
    /// The next entry would pass the size or the entry limit; what was written before it is kept.
    /// </exception>
    public async Task<ExtractionResult> ExtractAsync(Stream tar, string stripLeadingComponent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tar);
        ArgumentNullException.ThrowIfNull(stripLeadingComponent);
        var strip = stripLeadingComponent.TrimEnd('/');
        if (strip.Contains('/') || strip is "." or "..")
        {
            throw new ArgumentException(
                $"'{stripLeadingComponent}' is not a single path component; pass the base name of the requested path (e.g. 'artifacts' for '/artifacts').",
                nameof(stripLeadingComponent));
        }

        Directory.CreateDirectory(_root);
        var run = new TarExtraction(_root, strip, _maxTotalBytes, _maxEntries, _warn);
        await run.RunAsync(tar, ct).ConfigureAwait(false);
        return run.Result;
    }
}
