using System.Globalization;
using System.Text;

namespace DindBuild.SocketPolicy;

/// <summary>
/// A parsed HTTP/1.x head: the start line's three parts and the header fields, with the raw bytes
/// kept for forwarding unchanged. Parsing is strict — a head that Go's server might read differently
/// (folded lines, spaces before a colon, control characters) is refused rather than guessed at.
/// </summary>
internal sealed class HttpHead
{
    private HttpHead(string first, string second, string third, IReadOnlyList<KeyValuePair<string, string>> headers, byte[] raw)
    {
        First = first;
        Second = second;
        Third = third;
        Headers = headers;
        Raw = raw;
    }

    /// <summary>Request: the method. Response: the version.</summary>
    public string First { get; }

    /// <summary>Request: the target. Response: the status code.</summary>
    public string Second { get; }

    /// <summary>Request: the version. Response: the reason phrase.</summary>
    public string Third { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public byte[] Raw { get; }

    public static HttpHead ParseRequest(byte[] raw)
    {
        var head = Parse(raw, isRequest: true);
        if (!IsToken(head.First))
        {
            throw new HttpFramingException("the request method is not a token");
        }

        if (head.Third is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            throw new HttpFramingException($"the version '{Printable(head.Third)}' (only HTTP/1.0 and HTTP/1.1 are proxied)");
        }

        if (head.Second.Length == 0 || head.Second.Any(c => c <= ' ' || c >= 0x7f))
        {
            throw new HttpFramingException("the request target holds spaces or control characters");
        }

        return head;
    }

    public static HttpHead ParseResponse(byte[] raw)
    {
        var head = Parse(raw, isRequest: false);
        if (!head.First.StartsWith("HTTP/1.", StringComparison.Ordinal) || head.Second.Length != 3 || !head.Second.All(char.IsAsciiDigit))
        {
            throw new HttpFramingException("the daemon's status line is not HTTP/1.x");
        }

        return head;
    }

    public int Status => int.Parse(Second, CultureInfo.InvariantCulture);

    public IEnumerable<string> Values(string name) =>
        Headers.Where(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Select(header => header.Value);

    /// <summary>Whether a comma-separated header (Connection, Upgrade) holds <paramref name="token"/>.</summary>
    public bool HasToken(string name, string token) =>
        Values(name).SelectMany(value => value.Split(',')).Any(part => string.Equals(part.Trim(), token, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// How a request's body is delimited. Exactly Go's rules where they are unambiguous, refused where
    /// they are not: Transfer-Encoding other than one "chunked", both headers at once, differing or
    /// non-numeric Content-Length values, and Transfer-Encoding on HTTP/1.0 (which Go ignores).
    /// </summary>
    public BodyFraming RequestFraming()
    {
        var encodings = Values("Transfer-Encoding").ToList();
        var lengths = Values("Content-Length").ToList();
        if (encodings.Count > 0)
        {
            if (Third != "HTTP/1.1" || encodings.Count != 1 || !string.Equals(encodings[0], "chunked", StringComparison.OrdinalIgnoreCase) || lengths.Count > 0)
            {
                throw new HttpFramingException("an ambiguous Transfer-Encoding (only one 'chunked', on HTTP/1.1, without Content-Length)");
            }

            return BodyFraming.Chunked;
        }

        return lengths.Count == 0 ? BodyFraming.None : BodyFraming.OfLength(ParseLength(lengths));
    }

    /// <summary>How a response to <paramref name="requestMethod"/> is delimited (RFC 9112 section 6.3).</summary>
    public BodyFraming ResponseFraming(string requestMethod)
    {
        var status = Status;
        if (status is (>= 100 and < 200) or 204 or 304 || string.Equals(requestMethod, "HEAD", StringComparison.OrdinalIgnoreCase))
        {
            return BodyFraming.None;
        }

        if (Values("Transfer-Encoding").Any())
        {
            return HasToken("Transfer-Encoding", "chunked") ? BodyFraming.Chunked : BodyFraming.UntilClose;
        }

        var lengths = Values("Content-Length").ToList();
        return lengths.Count == 0 ? BodyFraming.UntilClose : BodyFraming.OfLength(ParseLength(lengths));
    }

    /// <summary>Whether the connection stays open after this message: HTTP/1.1 unless "close", HTTP/1.0 only with "keep-alive".</summary>
    public bool KeepsAlive(string version) =>
        version == "HTTP/1.1" ? !HasToken("Connection", "close") : HasToken("Connection", "keep-alive");

    /// <summary>
    /// This request's head with <paramref name="target"/> (null: the same) and, when DindBuild read and
    /// rewrote the body, a length of <paramref name="length"/> bytes (null: the body goes on as it came).
    /// </summary>
    public byte[] Rebuilt(string? target, int? length)
    {
        var text = new StringBuilder().Append(First).Append(' ').Append(target ?? Second).Append(' ').Append(Third).Append("\r\n");
        foreach (var (name, value) in Headers)
        {
            // The body is sent whole, so neither chunking nor a wait for "100 Continue" applies to it.
            if (length is not null && (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Expect", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (length is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n");
        }

        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }

    /// <summary>At most 80 printable characters of text that came from the other side, for messages.</summary>
    public static string Printable(string text)
    {
        var clean = new string([.. text.Take(80).Select(c => c is >= ' ' and < (char)0x7f ? c : '?')]);
        return text.Length > 80 ? clean + "…" : clean;
    }

    private static long ParseLength(List<string> lengths)
    {
        if (lengths.Distinct(StringComparer.Ordinal).Count() != 1 || lengths[0].Length is 0 or > 18 || !lengths[0].All(char.IsAsciiDigit))
        {
            throw new HttpFramingException("an invalid or ambiguous Content-Length");
        }

        return long.Parse(lengths[0], CultureInfo.InvariantCulture);
    }

    private static HttpHead Parse(byte[] raw, bool isRequest)
    {
        // Latin-1 maps each byte to one char, so nothing is lost or merged on the way to text.
        var lines = Encoding.Latin1.GetString(raw).Split("\r\n");
        var start = lines[0];
        var firstSpace = start.IndexOf(' ', StringComparison.Ordinal);
        var secondSpace = firstSpace < 0 ? -1 : start.IndexOf(' ', firstSpace + 1);
        // A request line has exactly two spaces; a status line's reason phrase may hold more.
        if (firstSpace <= 0 || (isRequest && (secondSpace < 0 || start.IndexOf(' ', secondSpace + 1) >= 0)))
        {
            throw new HttpFramingException($"a malformed start line '{Printable(start)}'");
        }

        var first = start[..firstSpace];
        var second = secondSpace < 0 ? start[(firstSpace + 1)..] : start[(firstSpace + 1)..secondSpace];
        var third = secondSpace < 0 ? "" : start[(secondSpace + 1)..];
        var headers = new List<KeyValuePair<string, string>>();

        // The head ends in an empty line: the split leaves two empty strings after the last field.
        foreach (var line in lines.Skip(1).SkipLast(2))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                throw new HttpFramingException($"a malformed header line '{Printable(line)}'");
            }

            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (value.Any(c => (c < ' ' && c != '\t') || c == (char)0x7f))
            {
                throw new HttpFramingException($"a control character in the header '{Printable(line[..colon])}'");
            }

            headers.Add(new(line[..colon], value));
        }

        return new HttpHead(first, second, third, headers, raw);
    }

    private static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
}

/// <summary>How a message body is delimited: none, a length, chunks, or the end of the connection.</summary>
internal readonly record struct BodyFraming(BodyFramingKind Kind, long Length)
{
    public static BodyFraming None => new(BodyFramingKind.None, 0);

    public static BodyFraming Chunked => new(BodyFramingKind.Chunked, 0);

    public static BodyFraming UntilClose => new(BodyFramingKind.UntilClose, 0);

    public static BodyFraming OfLength(long length) => length == 0 ? None : new(BodyFramingKind.Length, length);
}

internal enum BodyFramingKind
{
    None,
    Length,
    Chunked,
    UntilClose,
}
