using System.Text;
using System.Text.RegularExpressions;

namespace DindBuild.ImageBuild;

/// <summary>One compiled pattern; mirrors moby's exact/prefix/suffix/regexp match kinds, which differ in edge cases.</summary>
internal sealed class IgnorePattern
{
    private static readonly char[] GlobCharacters = ['*', '?', '[', ']', '\\'];

    private readonly string _pattern;
    private readonly MatchKind _kind;
    private readonly Regex? _regex;

    private IgnorePattern(string pattern, bool isException, MatchKind kind, Regex? regex)
    {
        _pattern = pattern;
        IsException = isException;
        _kind = kind;
        _regex = regex;
    }

    private enum MatchKind
    {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }

    public bool IsException { get; }

    public static IgnorePattern Compile(string pattern, bool isException, int lineNumber)
    {
        var regex = new StringBuilder(@"\A");
        var kind = MatchKind.Exact;
        var position = 0;
        for (var token = 0; position < pattern.Length; token++)
        {
            var ch = pattern[position++];
            switch (ch)
            {
                case '*' when position < pattern.Length && pattern[position] == '*':
                    position++;
                    if (position < pattern.Length && pattern[position] == '/')
                    {
                        position++;
                    }

                    if (position == pattern.Length)
                    {
                        if (kind == MatchKind.Exact)
                        {
                            kind = MatchKind.Prefix;
                        }
                        else
                        {
                            regex.Append(".*");
                            kind = MatchKind.Regex;
                        }
                    }
                    else
                    {
                        // Zero or more whole directories, so "a/**/b" also matches "a/b".
                        regex.Append("(.*/)?");
                        kind = MatchKind.Regex;
                    }

                    if (token == 0)
                    {
                        kind = MatchKind.Suffix;
                    }

                    break;
                case '*':
                    regex.Append("[^/]*");
                    kind = MatchKind.Regex;
                    break;
                case '?':
                    regex.Append("[^/]");
                    kind = MatchKind.Regex;
                    break;
                case '\\':
                    if (position == pattern.Length)
                    {
                        throw Invalid(pattern, lineNumber, "it ends with an unfinished escape '\\' (write '\\\\' for a literal backslash)");
                    }

                    regex.Append(Regex.Escape(pattern[position++].ToString()));
                    kind = MatchKind.Regex;
                    break;
                case '[':
                    position = AppendCharacterClass(pattern, position, regex, lineNumber);
                    kind = MatchKind.Regex;
                    break;
                case ']':
                    regex.Append(@"\]");
                    kind = MatchKind.Regex;
                    break;
                default:
                    regex.Append(Regex.Escape(ch.ToString()));
                    break;
            }
        }

        regex.Append(@"\z");
        Regex? compiled = null;
        if (kind == MatchKind.Regex)
        {
            // Non-backtracking keeps matching linear however many '**' a pattern stacks, as Go's RE2 does.
            compiled = new Regex(
                regex.ToString(),
                RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }

        return new IgnorePattern(pattern, isException, kind, compiled);
    }

    public bool IsMatch(string path) => _kind switch
    {
        MatchKind.Exact => path == _pattern,
        MatchKind.Prefix => path.StartsWith(_pattern[..^2], StringComparison.Ordinal),
        MatchKind.Suffix => MatchesSuffix(path, _pattern[2..]),
        _ => _regex!.IsMatch(path),
    };

    /// <summary>
    /// Whether this pattern could match some path strictly below <paramref name="directoryWithSlash"/>.
    /// Every match starts with the pattern's literal prefix, so a prefix that diverges from the directory
    /// proves it cannot; anything else is answered conservatively with true.
    /// </summary>
    public bool CouldMatchBelow(string directoryWithSlash)
    {
        if (_kind == MatchKind.Exact)
        {
            return _pattern.StartsWith(directoryWithSlash, StringComparison.Ordinal);
        }

        var globAt = _pattern.IndexOfAny(GlobCharacters);
        var literalPrefix = globAt < 0 ? _pattern : _pattern[..globAt];
        return literalPrefix.StartsWith(directoryWithSlash, StringComparison.Ordinal)
            || directoryWithSlash.StartsWith(literalPrefix, StringComparison.Ordinal);
    }

    public override string ToString() => IsException ? "!" + _pattern : _pattern;

    private static bool MatchesSuffix(string path, string suffix) =>
        path.EndsWith(suffix, StringComparison.Ordinal)
        || (suffix.Length > 0 && suffix[0] == '/' && path == suffix[1..]);

    /// <summary>
    /// Translates "[...]" starting after the '['. Validation follows Go's filepath.Match, which docker uses
    /// to reject patterns: at least one item, '-' and ']' must be escaped, and the class must be closed.
    /// </summary>
    private static int AppendCharacterClass(string pattern, int position, StringBuilder regex, int lineNumber)
    {
        regex.Append('[');
        if (position < pattern.Length && pattern[position] == '^')
        {
            regex.Append('^');
            position++;
        }

        var items = 0;
        while (true)
        {
            if (position < pattern.Length && pattern[position] == ']' && items > 0)
            {
                regex.Append(']');
                return position + 1;
            }

            var low = ReadClassCharacter(pattern, ref position, lineNumber);
            regex.Append(EscapeInClass(low));
            if (pattern[position] == '-')
            {
                position++;
                var high = ReadClassCharacter(pattern, ref position, lineNumber);
                if (high < low)
                {
                    throw Invalid(pattern, lineNumber, $"the character range '{low}-{high}' is reversed (write '{high}-{low}')");
                }

                regex.Append('-').Append(EscapeInClass(high));
            }

            items++;
        }
    }

    private static char ReadClassCharacter(string pattern, ref int position, int lineNumber)
    {
        if (position >= pattern.Length)
        {
            throw Invalid(pattern, lineNumber, "a character class '[' is not closed with ']' (write '\\[' for a literal '[')");
        }

        var ch = pattern[position];
        if (ch is '-' or ']')
        {
            throw Invalid(pattern, lineNumber, $"'{ch}' must be escaped as '\\{ch}' inside a character class, and a class needs at least one character");
        }

        if (ch == '\\')
        {
            position++;
            if (position >= pattern.Length)
            {
                throw Invalid(pattern, lineNumber, "a character class '[' is not closed with ']' (write '\\[' for a literal '[')");
            }

            ch = pattern[position];
        }

        position++;
        if (position >= pattern.Length)
        {
            throw Invalid(pattern, lineNumber, "a character class '[' is not closed with ']' (write '\\[' for a literal '[')");
        }

        return ch;
    }

    private static string EscapeInClass(char ch) => ch is '\\' or ']' or '[' or '^' or '-' ? "\\" + ch : ch.ToString();

    private static FormatException Invalid(string pattern, int lineNumber, string reason) =>
        new($".dockerignore line {lineNumber}: pattern '{pattern}' is invalid because {reason}.");
}
