using System.Buffers;

namespace DindBuild.Artifacts;

/// <summary>
/// Writes the content of extracted files under the extraction's budget, and lists what it wrote; a file that
/// would go over the budget is not kept.
/// </summary>
internal sealed class LimitedFileWriter(ExtractionBudget budget, Action<string> warn)
{
    private const int CopyBufferSize = 81920;

    private readonly List<string> _written = [];

    /// <summary>The files written, as host paths: this export's own, never what was there before.</summary>
    public IReadOnlyList<string> Written => _written;

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
                    if (read > budget.Remaining - written)
                    {
                        throw budget.ContentExceeded(entryName);
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
        budget.AddFile(written);
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
}
