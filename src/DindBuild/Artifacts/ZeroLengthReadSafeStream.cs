namespace DindBuild.Artifacts;

/// <summary>
/// Read-only wrapper that answers zero-length reads itself instead of passing them on.
/// </summary>
/// <remarks>
/// Docker.DotNet's archive streams throw <see cref="EndOfStreamException"/> when asked for zero bytes,
/// while System.Formats.Tar issues exactly such reads (for example when it drains an entry whose data
/// has already been consumed). A zero-length read is defined to return 0 without touching the source,
/// so answering it here is always correct and keeps the two libraries compatible.
/// </remarks>
internal sealed class ZeroLengthReadSafeStream : Stream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private bool _disposed;

    /// <param name="inner">The stream to read from.</param>
    /// <param name="leaveOpen">
    /// When false (the default) disposing the wrapper disposes <paramref name="inner"/>; pass true when
    /// the caller owns <paramref name="inner"/> and will dispose it itself.
    /// </param>
    public ZeroLengthReadSafeStream(Stream inner, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
    }

    public override bool CanRead => !_disposed && _inner.CanRead;

    public override bool CanSeek => !_disposed && _inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _inner.Length;
        }
    }

    public override long Position
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _inner.Position;
        }

        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _inner.Position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return count == 0 ? 0 : _inner.Read(buffer, offset, count);
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return buffer.IsEmpty ? 0 : _inner.Read(buffer);
    }

    public override int ReadByte()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _inner.ReadByte();
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<int>(cancellationToken);
        }

        return count == 0 ? Task.FromResult(0) : _inner.ReadAsync(buffer, offset, count, cancellationToken);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        return buffer.IsEmpty ? ValueTask.FromResult(0) : _inner.ReadAsync(buffer, cancellationToken);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _inner.Seek(offset, origin);
    }

    // Nothing is ever written through this wrapper, so there is nothing to flush.
    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("This stream is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("This stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (disposing && !_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
