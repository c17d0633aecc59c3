namespace DindBuild.SocketPolicy;

/// <summary>
/// Buffered reading of one side of a proxied connection. HTTP heads and framed bodies are read
/// through it; what it has buffered beyond them is handed on when the connection becomes a blind pipe.
/// </summary>
internal sealed class ConnectionReader(Stream stream)
{
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public Stream Stream => stream;

    /// <summary>
    /// The next HTTP head, up to and including its empty line; null when the stream ends before its
    /// first byte. Every line must end in CRLF: Go's server also takes a bare LF, and a head the two
    /// sides would split differently is how requests are smuggled past an inspecting proxy.
    /// </summary>
    public async Task<byte[]?> ReadHeadAsync(int limit, CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            for (; scanned < _end - _start; scanned++)
            {
                var b = _buffer[_start + scanned];
                if (b == (byte)'\r' && (scanned + 1 >= _end - _start || _buffer[_start + scanned + 1] != (byte)'\n'))
                {
                    if (scanned + 1 >= _end - _start)
                    {
                        break;
                    }

                    throw new HttpFramingException("a bare CR in an HTTP head");
                }

                if (b != (byte)'\n')
                {
                    continue;
                }

                if (scanned == 0 || _buffer[_start + scanned - 1] != (byte)'\r')
                {
                    throw new HttpFramingException("a line of an HTTP head ends in a bare LF");
                }

                // An empty line (CRLF right after the previous line's CRLF, or at the very start) ends the head.
                if (scanned == 1 || (scanned >= 3 && _buffer[_start + scanned - 2] == (byte)'\n'))
                {
                    if (scanned == 1)
                    {
                        throw new HttpFramingException("an empty line where the request or status line should be");
                    }

                    return Take(scanned + 1);
                }
            }

            if (_end - _start >= limit)
            {
                throw new HttpFramingException($"an HTTP head longer than {limit / 1024} KiB");
            }

            if (!await FillAsync(limit, cancellationToken).ConfigureAwait(false))
            {
                if (_end - _start == 0)
                {
                    return null;
                }

                throw new HttpFramingException("the connection ended inside an HTTP head");
            }
        }
    }

    /// <summary>One line ending in CRLF, returned with it; a longer line or a bare LF is a framing error.</summary>
    public async Task<byte[]> ReadLineAsync(int limit, CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            for (; scanned < _end - _start; scanned++)
            {
                if (_buffer[_start + scanned] == (byte)'\n')
                {
                    if (scanned == 0 || _buffer[_start + scanned - 1] != (byte)'\r')
                    {
                        throw new HttpFramingException("a chunk line ends in a bare LF");
                    }

                    return Take(scanned + 1);
                }
            }

            if (_end - _start >= limit)
            {
                throw new HttpFramingException($"a chunk line longer than {limit} bytes");
            }

            if (!await FillAsync(limit, cancellationToken).ConfigureAwait(false))
            {
                throw new HttpFramingException("the connection ended inside a chunked body");
            }
        }
    }

    /// <summary>Exactly <paramref name="count"/> bytes to <paramref name="destination"/>; the stream ending first is a framing error.</summary>
    public async Task CopyExactlyAsync(long count, Stream destination, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(_buffer.Length, cancellationToken).ConfigureAwait(false))
            {
                throw new HttpFramingException("the connection ended inside a message body");
            }

            var n = (int)Math.Min(count, _end - _start);
            await destination.WriteAsync(_buffer.AsMemory(_start, n), cancellationToken).ConfigureAwait(false);
            _start += n;
            count -= n;
        }
    }

    /// <summary>What is buffered, then everything until the stream ends.</summary>
    public async Task CopyToEndAsync(Stream destination, CancellationToken cancellationToken)
    {
        if (_end > _start)
        {
            await destination.WriteAsync(_buffer.AsMemory(_start, _end - _start), cancellationToken).ConfigureAwait(false);
            _start = _end = 0;
        }

        await stream.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    private byte[] Take(int count)
    {
        var taken = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return taken;
    }

    /// <summary>Reads more, keeping what is buffered and growing up to <paramref name="limit"/>; false at the end of the stream.</summary>
    private async Task<bool> FillAsync(int limit, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            var kept = _end - _start;
            if (kept * 2 > _buffer.Length && _buffer.Length < limit)
            {
                var larger = new byte[Math.Min(Math.Max(limit, 16), _buffer.Length * 2)];
                Array.Copy(_buffer, _start, larger, 0, kept);
                _buffer = larger;
            }
            else
            {
                Array.Copy(_buffer, _start, _buffer, 0, kept);
            }

            _start = 0;
            _end = kept;
        }

        if (_end == _buffer.Length)
        {
            throw new HttpFramingException($"a line or head longer than {limit} bytes");
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }
}

/// <summary>A message whose framing is malformed or ambiguous: the connection is answered 400 (where it still can be) and closed.</summary>
internal sealed class HttpFramingException(string message) : Exception(message);
