using System.Globalization;
using System.Text;

namespace DindBuild.Diagnostics;

/// <summary>
/// Makes text from inside a container — entry names, link targets, log lines, engine messages, test names —
/// safe to print on a terminal and in a CI log: the one place that decides what is escaped and how.
/// </summary>
/// <remarks>
/// A raw newline in a name starts a line of the attacker's choosing (a forged <c>[12:00:00 INF] Tests passed</c>);
/// a carriage return or an escape sequence overwrites what the terminal shows; U+2028/U+2029 are line breaks to
/// many viewers; bidi overrides reorder what is displayed. GitHub's runner also executes <c>::command::</c> at the
/// start of a line (after leading spaces) and the legacy <c>##[command]</c> anywhere in a line, so both are defused.
/// Backslashes are kept as they are: the escapes are for safety and for reading, not for exact round trips
/// (the JSON log keeps the exact values).
/// </remarks>
public static class SafeText
{
    /// <summary>How much of a hostile name a warning shows: enough to recognise it, never a 4 KB path twice.</summary>
    public const int NameDisplayLength = 160;

    /// <summary>
    /// One line: control characters (C0 including tab and newline, DEL, C1), Unicode line and paragraph separators
    /// and bidi controls become visible escapes (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\x1B</c>, <c>\u2028</c>); lone
    /// surrogates too. The same string comes back when nothing needs escaping.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        var escaped = NeedsEscaping(text) ? EscapeCharacters(text) : text;
        return DefuseWorkflowCommands(escaped);
    }

    /// <summary>
    /// Text of several lines (a log tail): each line escaped as by <see cref="Escape"/>, joined with <c>\n</c>.
    /// Only <c>\n</c> (and <c>\r\n</c>) separate lines; any other line break is escaped inside its line.
    /// </summary>
    public static string Lines(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            lines[i] = Escape(line);
        }

        return string.Join('\n', lines);
    }

    /// <summary>A hostile name for a message: escaped, and shortened to its start and end when long.</summary>
    public static string Name(string? name, int maxLength = NameDisplayLength) => Shorten(Escape(name), maxLength);

    /// <summary>Keeps the start and the end of a long text and says how much was left out.</summary>
    public static string Shorten(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 20);
        if (text.Length <= maxLength)
        {
            return text;
        }

        var tail = maxLength / 4;
        var head = maxLength - tail;

        // Never cut a surrogate pair in half: that would be a lone surrogate, which Escape exists to avoid.
        if (char.IsHighSurrogate(text[head - 1]))
        {
            head--;
        }

        if (char.IsLowSurrogate(text[^tail]))
        {
            tail--;
        }

        var omitted = text.Length - head - tail;
        return string.Create(CultureInfo.InvariantCulture, $"{text[..head]}…[{omitted} more characters]…{text[^tail..]}");
    }

    /// <summary>Whether <paramref name="c"/> is one that <see cref="Escape"/> never lets through as it is.</summary>
    internal static bool IsUnsafe(char c) =>
        c < 0x20 || c is >= '\u007f' and <= '\u009f'
        || c is '\u2028' or '\u2029'
        || IsBidiControl(c);

    // ALM, LRM, RLM, the embeddings and overrides (LRE RLE PDF LRO RLO) and the isolates (LRI RLI FSI PDI).
    private static bool IsBidiControl(char c) =>
        c is '\u061c' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    private static bool NeedsEscaping(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsUnsafe(c))
            {
                return true;
            }

            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return true;
                }

                i++;
            }
        }

        return false;
    }

    private static string EscapeCharacters(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }

            switch (c)
            {
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case < '\u0100' when IsUnsafe(c):
                    builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
                    break;
                case var _ when IsUnsafe(c) || char.IsSurrogate(c):
                    builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }

    private static string DefuseWorkflowCommands(string text)
    {
        // GitHub's legacy form is found anywhere in a line: "##[warning]…".
        if (text.Contains("##[", StringComparison.Ordinal))
        {
            text = text.Replace("##[", "##\\x5B", StringComparison.Ordinal);
        }

        // The current form only at the start of a line, after leading whitespace: "::warning title=…::…".
        var start = text.Length - text.TrimStart().Length;
        if (text.AsSpan(start).StartsWith("::", StringComparison.Ordinal))
        {
            text = string.Concat(text.AsSpan(0, start), "\\x3A", text.AsSpan(start + 1));
        }

        return text;
    }
}
