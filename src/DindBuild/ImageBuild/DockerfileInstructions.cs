using System.Text;
using System.Text.RegularExpressions;

namespace DindBuild.ImageBuild;

/// <summary>
/// Splits a Dockerfile into instructions the way the BuildKit frontend does: parser directives
/// (<c># escape=</c>) first, then comments dropped, line continuations joined and heredoc bodies skipped.
/// </summary>
internal static partial class DockerfileInstructions
{
    private static readonly HashSet<string> HeredocInstructions = new(StringComparer.OrdinalIgnoreCase) { "RUN", "COPY", "ADD" };

    /// <summary>
    /// Returns the escape character the parser directives select, and the instructions in file order
    /// (enumerated lazily, each with the 1-based line it starts on).
    /// </summary>
    public static (char Escape, IEnumerable<DockerfileInstruction> Instructions) Read(string dockerfileText)
    {
        var lines = dockerfileText.ReplaceLineEndings("\n").Split('\n');
        var (escape, firstInstructionLine) = ReadParserDirectives(lines);
        return (escape, Enumerate(lines, firstInstructionLine, escape));
    }

    /// <summary>
    /// A parser directive of the leading block (<c># syntax=docker/dockerfile:1</c>): its value and 1-based line;
    /// null when the Dockerfile has none of that name.
    /// </summary>
    public static (string Value, int Line)? Directive(string dockerfileText, string key)
    {
        var lines = dockerfileText.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length && DirectiveRegex().Match(lines[i]) is { Success: true } directive; i++)
        {
            if (directive.Groups["key"].Value.Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                return (directive.Groups["value"].Value, i + 1);
            }
        }

        return null;
    }

    /// <summary>Whether an instruction's arguments open a heredoc (<c>RUN &lt;&lt;EOT</c>, <c>COPY &lt;&lt;EOF /file</c>).</summary>
    public static bool OpensHeredoc(string keyword, string arguments) =>
        HeredocInstructions.Contains(keyword) && HeredocRegex().IsMatch(arguments);

    /// <summary>
    /// Reads the leading block of <c># key=value</c> parser directives and returns the escape character they
    /// select and the index of the first line after them.
    /// </summary>
    private static (char Escape, int NextLine) ReadParserDirectives(string[] lines)
    {
        var escape = '\\';
        var i = 0;
        while (i < lines.Length && DirectiveRegex().Match(lines[i]) is { Success: true } directive)
        {
            if (directive.Groups["key"].Value.Equals("escape", StringComparison.OrdinalIgnoreCase)
                && directive.Groups["value"].Value is "`" or "\\")
            {
                escape = directive.Groups["value"].Value[0];
            }

            i++;
        }

        return (escape, i);
    }

    /// <summary>
    /// Yields each instruction after joining continuation lines and dropping comments and
    /// heredoc bodies.
    /// </summary>
    private static IEnumerable<DockerfileInstruction> Enumerate(string[] lines, int start, char escape)
    {
        var i = start;
        while (i < lines.Length)
        {
            var line = lines[i++];
            if (IsBlankOrComment(line))
            {
                continue;
            }

            var lineNumber = i;

            var logical = new StringBuilder();
            var continues = TrimContinuation(ref line, escape);
            logical.Append(line);
            while (continues && i < lines.Length)
            {
                var next = lines[i++];

                // Docker drops comment and blank lines inside a continued instruction rather than ending it.
                if (IsBlankOrComment(next))
                {
                    continue;
                }

                continues = TrimContinuation(ref next, escape);
                logical.Append(next);
            }

            var instruction = logical.ToString().Trim();
            var split = instruction.IndexOfAny([' ', '\t']);
            var keyword = split < 0 ? instruction : instruction[..split];
            var arguments = split < 0 ? "" : instruction[(split + 1)..].Trim();
            yield return new DockerfileInstruction(keyword, arguments, lineNumber);

            // Heredoc bodies are raw text; a line in one that starts with FROM is not an instruction.
            if (HeredocInstructions.Contains(keyword))
            {
                foreach (Match heredoc in HeredocRegex().Matches(arguments))
                {
                    var terminator = heredoc.Groups["word"].Value;
                    var stripTabs = heredoc.Groups["chomp"].Value == "-";
                    while (i < lines.Length)
                    {
                        var body = lines[i++];
                        if ((stripTabs ? body.TrimStart('\t') : body) == terminator)
                        {
                            break;
                        }
                    }
                }
            }
        }
    }

    private static bool IsBlankOrComment(string line)
    {
        var trimmed = line.AsSpan().TrimStart();
        return trimmed.IsEmpty || trimmed[0] == '#';
    }

    /// <summary>Removes a trailing escape character (Docker allows whitespace after it) and reports whether there was one.</summary>
    private static bool TrimContinuation(ref string line, char escape)
    {
        var trimmed = line.TrimEnd(' ', '\t');
        if (trimmed.Length > 0 && trimmed[^1] == escape)
        {
            line = trimmed[..^1];
            return true;
        }

        return false;
    }

    [GeneratedRegex(@"^#\s*(?<key>[a-zA-Z][a-zA-Z0-9]*)\s*=\s*(?<value>.+?)\s*$")]
    private static partial Regex DirectiveRegex();

    // <<EOF, <<-EOF, <<"EOF", <<'EOF', optionally after a file descriptor; not the <<< here-string.
    [GeneratedRegex(@"(?<![<\w])\d*<<(?<chomp>-?)(?<quote>[""']?)(?<word>[A-Za-z0-9_.\-]+)\k<quote>")]
    private static partial Regex HeredocRegex();
}
