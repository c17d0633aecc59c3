using System.Buffers;

namespace DindBuild.Artifacts;

/// <summary>
/// Writes the content of extracted files under one size budget for the whole extraction, and counts what it
/// wrote; a file that would go over the budget is not kept.
/// </summary>
internal sealed class LimitedFileWriter(ExtractionRoot root, long maxTotalBytes, Action<string> warn)
{
    private const int CopyBufferSize = 81920;

    private readonly List<string> _written = [];

    public int FilesWritten => _written.Count;

    /// <summary>The files written, as host paths: this export's own, never what was there before.</summary>
    public IReadOnlyList<string> Written => _written;

    public long BytesWritten { get; private set; }

    /// <summary>Throws when <paramref name="length"/> more bytes would not fit, before anything is touched.</summary>
    public void EnsureFits(string entryName, long length)
    {
        if (length > maxTotalBytes - BytesWritten)
        {
            throw LimitExceeded(entryName);
        }
    }

    /// <summary>Streams <paramref name="source"/> into a new file, enforcing the limit on the bytes actually read.</summary>
    public async Task CopyAsync(Stream source, string path, string entryName, CancellationToken ct)
    {
        long written = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            // CreateNew (O_EXCL) refuses to open anything that already exists, including a symlink, so
            // nothing can be followed even if the path changed since it was checked.
            var destination = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
            });
            await using (destination.ConfigureAwait(false))
            {
                int read;
                while ((read = await source.ReadAsync(buffer.AsMemory(0, CopyBufferSize), ct).ConfigureAwait(false)) > 0)
                {
                    // The header length is only a claim; the limit is enforced on what actually arrives.
                    if (read > maxTotalBytes - BytesWritten - written)
                    {
                        throw LimitExceeded(entryName);
                    }

                    await destination.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    written += read;
                }
            }
        }
        catch
        {
            // A truncated file would look like a complete artifact, so it is not kept.
            TryDeletePartial(path);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _written.Add(path);
        BytesWritten += written;
    }

    private void TryDeletePartial(string path)
    {
        try
        {
            if (ExtractionRoot.Probe(path) == PathKind.Other)
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            warn($"Could not delete the partially written artifact '{path}': {ex.Message}");
        }
    }

    private ArtifactSizeLimitExceededException LimitExceeded(string entryName) =>
        new(entryName, maxTotalBytes, FilesWritten, BytesWritten, root.Root);
}
