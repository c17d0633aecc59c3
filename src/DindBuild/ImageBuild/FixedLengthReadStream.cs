namespace DindBuild.ImageBuild;

/// <summary>
/// Presents a file as exactly the length announced in its tar header: growth after opening is cut off
/// (the archive stays valid), shrinkage fails loudly instead of silently misaligning the archive.
/// </summary>
internal sealed class FixedLengthReadStream(FileStream inner, long length, string name) : Stream
{
    private long _position;

    public override bool CanRead => true;

    // TarWriter only sizes the header up front for seekable data streams; it never actually seeks.
    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = Wanted(buffer.Length);
        return wanted == 0 ? 0 : Advance(inner.Read(buffer[..wanted]));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var wanted = Wanted(buffer.Length);
        return wanted == 0 ? 0 : Advance(await inner.ReadAsync(buffer[..wanted], cancellationToken).ConfigureAwait(false));
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Wanted(int bufferLength) => (int)Math.Min(bufferLength, length - _position);

    private int Advance(int read)
    {
        if (read == 0)
        {
            throw new IOException(
                $"'{name}' shrank from {length} to {_position} bytes while the build context was being archived. Retry once nothing is writing to the context directory.");
        }

        _position += read;
        return read;
    }
}
