using System.Globalization;
using System.Text;

namespace DindBuild.SocketPolicy;

/// <summary>
/// Reading and copying message bodies by their framing. Chunked bodies are copied byte for byte but
/// parsed on the way, strictly: the proxy must end a body exactly where Go's server ends it, or the
/// rest would reach the daemon as a request nobody inspected.
/// </summary>
internal static class MessageBodies
{
    private const int ChunkLineLimit = 4096;

    /// <summary>The whole body, decoded; null when it is longer than <paramref name="limit"/> (the rest is left unread).</summary>
    public static async Task<byte[]?> ReadAsync(ConnectionReader reader, BodyFraming framing, int limit, CancellationToken cancellationToken)
    {
        switch (framing.Kind)
        {
            case BodyFramingKind.None:
                return [];
            case BodyFramingKind.Length when framing.Length > limit:
                return null;
            case BodyFramingKind.Length:
                using (var body = new MemoryStream((int)framing.Length))
                {
                    await reader.CopyExactlyAsync(framing.Length, body, cancellationToken).ConfigureAwait(false);
                    return body.ToArray();
                }

            case BodyFramingKind.Chunked:
                using (var body = new MemoryStream())
                {
                    return await CopyChunksAsync(reader, raw: null, body, limit, cancellationToken).ConfigureAwait(false) ? body.ToArray() : null;
                }

            default:
                throw new HttpFramingException("a request body delimited by the end of the connection");
        }
    }

    /// <summary>The body as it came, to <paramref name="destination"/>; until the end of the stream for <see cref="BodyFramingKind.UntilClose"/>.</summary>
    public static async Task CopyAsync(ConnectionReader reader, BodyFraming framing, Stream destination, CancellationToken cancellationToken)
    {
        switch (framing.Kind)
        {
            case BodyFramingKind.None:
                return;
            case BodyFramingKind.Length:
                await reader.CopyExactlyAsync(framing.Length, destination, cancellationToken).ConfigureAwait(false);
                break;
            case BodyFramingKind.Chunked:
                await CopyChunksAsync(reader, destination, decoded: null, long.MaxValue, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await reader.CopyToEndAsync(destination, cancellationToken).ConfigureAwait(false);
                break;
        }

        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Chunks until the last one: each as it came to <paramref name="raw"/>, their data to
    /// <paramref name="decoded"/>. False once the data passes <paramref name="limit"/>. Refused: a size
    /// that is not 1 to 16 hex digits directly followed by CRLF or ';', data not followed by CRLF,
    /// and trailer fields (no Docker client sends them, and Go reads them with laxer rules).
    /// </summary>
    private static async Task<bool> CopyChunksAsync(ConnectionReader reader, Stream? raw, Stream? decoded, long limit, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var line = await reader.ReadLineAsync(ChunkLineLimit, cancellationToken).ConfigureAwait(false);
            var size = ChunkSize(line);
            if (raw is not null)
            {
                await raw.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            }

            if (size == 0)
            {
                var end = await reader.ReadLineAsync(ChunkLineLimit, cancellationToken).ConfigureAwait(false);
                if (end.Length != 2)
                {
                    throw new HttpFramingException("trailer fields after a chunked body");
                }

                if (raw is not null)
                {
                    await raw.WriteAsync(end, cancellationToken).ConfigureAwait(false);
                }

                return true;
            }

            total += size;
            if (total > limit)
            {
                return false;
            }

            await reader.CopyExactlyAsync(size, (Stream?)decoded ?? raw!, cancellationToken).ConfigureAwait(false);
            var crlf = await reader.ReadLineAsync(ChunkLineLimit, cancellationToken).ConfigureAwait(false);
            if (crlf.Length != 2)
            {
                throw new HttpFramingException("chunk data not followed by CRLF");
            }

            if (raw is not null)
            {
                await raw.WriteAsync(crlf, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static long ChunkSize(byte[] line)
    {
        var text = Encoding.Latin1.GetString(line, 0, line.Length - 2);
        var semicolon = text.IndexOf(';', StringComparison.Ordinal);
        var digits = semicolon < 0 ? text : text[..semicolon];
        if (digits.Length is 0 or > 16 || !digits.All(char.IsAsciiHexDigit)
            || (semicolon >= 0 && text[semicolon..].Any(c => c is < ' ' and not '\t' or (char)0x7f)))
        {
            throw new HttpFramingException($"a malformed chunk size line '{HttpHead.Printable(text)}'");
        }

        var size = long.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return size >= 0 ? size : throw new HttpFramingException("a chunk size beyond 2^63");
    }
}
