using System.Text;
using System.Text.RegularExpressions;

namespace DindBuild.Build;

/// <summary>
/// Works out which external images a Dockerfile's <c>FROM</c> lines pull, so they can be fetched (or checked)
/// before the build starts.
/// </summary>
/// <remarks>
/// This follows the BuildKit Dockerfile frontend closely enough for FROM lines: parser directives
/// (<c># escape=</c>), comments, line continuations, heredocs, global <c>ARG</c>s and shell-style variable
/// expansion. It is not a full Dockerfile parser; everything other than ARG and FROM is ignored.
/// </remarks>
public static partial class DockerfileBaseImages
{
    // BuildKit defines these in the global scope without an ARG, so FROM lines may use them directly.
    private static readonly HashSet<string> AutomaticPlatformArgs = new(StringComparer.Ordinal)
    {
        "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    };

    private static readonly HashSet<string> HeredocInstructions = new(StringComparer.OrdinalIgnoreCase) { "RUN", "COPY", "ADD" };

    /// <summary>
    /// Returns the distinct external images needed by the FROM lines, in order of first use, with untagged
    /// references normalised to <c>:latest</c>.
    /// </summary>
    /// <param name="dockerfileText">The Dockerfile contents.</param>
    /// <param name="buildArgs">
    /// <c>--build-arg</c> values. As in Docker they only override ARGs declared before the first FROM (plus
    /// BuildKit's automatic platform args); an argument the Dockerfile does not declare has no effect.
    /// </param>
    /// <remarks>
    /// References to earlier stages and <c>scratch</c> are not external images and are left out; so is a FROM
    /// whose image expands to nothing (Docker would reject that Dockerfile itself). Digests are kept as given.
    /// </remarks>
    public static IReadOnlyList<string> Parse(string dockerfileText, IReadOnlyDictionary<string, string>? buildArgs = null)
    {
        ArgumentNullException.ThrowIfNull(dockerfileText);
        buildArgs ??= new Dictionary<string, string>();

        // null value = declared but unset, which matters for ${VAR-default} versus ${VAR:-default}.
        var globalArgs = new Dictionary<string, string?>(StringComparer.Ordinal);
        var stageNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var images = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var seenFrom = false;

        string? Lookup(string name)
        {
            if (globalArgs.TryGetValue(name, out var value))
            {
                return value;
            }

            return AutomaticPlatformArgs.Contains(name) && buildArgs.TryGetValue(name, out var automatic) ? automatic : null;
        }

        var lines = dockerfileText.ReplaceLineEndings("\n").Split('\n');
        var (escape, firstInstructionLine) = ReadParserDirectives(lines);
        foreach (var (keyword, arguments, _) in Instructions(lines, firstInstructionLine, escape))
        {
            if (keyword.Equals("ARG", StringComparison.OrdinalIgnoreCase))
            {
                // ARGs inside a stage are scoped to it and never reach a FROM line.
                if (seenFrom)
                {
                    continue;
                }

                foreach (var word in SplitWords(arguments, escape))
                {
                    var equals = word.IndexOf('=', StringComparison.Ordinal);
                    var name = equals < 0 ? word : word[..equals];
                    if (buildArgs.TryGetValue(name, out var fromBuildArg))
                    {
                        globalArgs[name] = fromBuildArg;
                    }
                    else if (equals >= 0)
                    {
                        globalArgs[name] = Expand(word[(equals + 1)..], Lookup, escape);
                    }
                    else
                    {
                        globalArgs.TryAdd(name, null);
                    }
                }
            }
            else if (keyword.Equals("FROM", StringComparison.OrdinalIgnoreCase))
            {
                seenFrom = true;
                var tokens = arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

                // Flags such as --platform=... only come before the image.
                var index = 0;
                while (index < tokens.Length && tokens[index].StartsWith("--", StringComparison.Ordinal))
                {
                    index++;
                }

                if (index >= tokens.Length)
                {
                    continue;
                }

                var image = Expand(tokens[index], Lookup, escape).Trim();
                var refersToStage = stageNames.Contains(image);
                if (index + 2 < tokens.Length && tokens[index + 1].Equals("AS", StringComparison.OrdinalIgnoreCase))
                {
                    // Added after the check: a stage cannot be built from itself, only from earlier ones.
                    stageNames.Add(tokens[index + 2]);
                }

                if (image.Length == 0 || refersToStage || image.Equals("scratch", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var normalised = Normalise(image);
                if (seen.Add(normalised))
                {
                    images.Add(normalised);
                }
            }
        }

        return images;
    }

    /// <summary>Adds <c>:latest</c> to references without a tag or digest.</summary>
    /// <summary>
    /// The 1-based line on which the builder's <c>Step N/M</c> instruction starts (instructions counted
    /// as the classic builder counts them: continuations joined, comments skipped); null past the end.
    /// </summary>
    public static int? LineOfInstruction(string dockerfileText, int instructionNumber)
    {
        var lines = dockerfileText.ReplaceLineEndings("\n").Split('\n');
        var (escape, firstInstructionLine) = ReadParserDirectives(lines);
        return Instructions(lines, firstInstructionLine, escape).Skip(instructionNumber - 1).Select(instruction => (int?)instruction.LineNumber).FirstOrDefault();
    }

    private static string Normalise(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return image;
        }

        // Only a colon after the last '/' is a tag; an earlier one is a registry port (localhost:5000/img).
        var lastSegment = image[(image.LastIndexOf('/') + 1)..];
        return lastSegment.Contains(':', StringComparison.Ordinal) ? image : image + ":latest";
    }

    /// <summary>
    /// Reads the leading block of <c># key=value</c> parser directives and returns the escape character they
    /// select and the index of the first line after them.
    /// </summary>
    internal static (char Escape, int NextLine) ReadParserDirectives(string[] lines)
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
    /// Yields (keyword, arguments) per instruction after joining continuation lines and dropping comments and
    /// heredoc bodies.
    /// </summary>
    internal static IEnumerable<(string Keyword, string Arguments, int LineNumber)> Instructions(string[] lines, int start, char escape)
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
            yield return (keyword, arguments, lineNumber);

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

    /// <summary>Splits on unquoted whitespace, keeping quotes and escapes for <see cref="Expand"/> to interpret.</summary>
    private static List<string> SplitWords(string text, char escape)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is null && c is ' ' or '\t')
            {
                if (current.Length > 0)
                {
                    words.Add(current.ToString());
                    current.Clear();
                }

                continue;
            }

            current.Append(c);
            if (c == escape && quote != '\'' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
            }
            else if (quote is null && c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == quote)
            {
                quote = null;
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    /// <summary>
    /// Shell-style word expansion as Docker does it: quote removal, escapes, <c>$VAR</c>, <c>${VAR}</c> and the
    /// <c>${VAR:-word}</c>, <c>${VAR-word}</c>, <c>${VAR:+word}</c>, <c>${VAR+word}</c> forms.
    /// </summary>
    private static string Expand(string word, Func<string, string?> lookup, char escape)
    {
        var result = new StringBuilder();
        var i = 0;
        while (i < word.Length)
        {
            var c = word[i];
            if (c == escape)
            {
                if (i + 1 < word.Length)
                {
                    result.Append(word[i + 1]);
                    i += 2;
                }
                else
                {
                    result.Append(c);
                    i++;
                }
            }
            else if (c == '\'')
            {
                var close = word.IndexOf('\'', i + 1);
                var end = close < 0 ? word.Length : close;
                result.Append(word, i + 1, end - i - 1);
                i = close < 0 ? word.Length : close + 1;
            }
            else if (c == '"')
            {
                i++;
                while (i < word.Length && word[i] != '"')
                {
                    if (word[i] == escape && i + 1 < word.Length && (word[i + 1] == '"' || word[i + 1] == '$' || word[i + 1] == escape))
                    {
                        result.Append(word[i + 1]);
                        i += 2;
                    }
                    else if (word[i] == '$')
                    {
                        i = ExpandVariable(word, i, lookup, escape, result);
                    }
                    else
                    {
                        result.Append(word[i++]);
                    }
                }

                i++;
            }
            else if (c == '$')
            {
                i = ExpandVariable(word, i, lookup, escape, result);
            }
            else
            {
                result.Append(c);
                i++;
            }
        }

        return result.ToString();
    }

    /// <summary>Expands the variable reference starting at <paramref name="start"/> (a '$') and returns the index after it.</summary>
    private static int ExpandVariable(string word, int start, Func<string, string?> lookup, char escape, StringBuilder result)
    {
        var i = start + 1;
        if (i >= word.Length)
        {
            result.Append('$');
            return i;
        }

        if (word[i] == '{')
        {
            var close = FindClosingBrace(word, i + 1, escape);
            if (close < 0)
            {
                // Docker rejects this; keeping the text makes the odd image name visible instead of hiding it.
                result.Append(word, start, word.Length - start);
                return word.Length;
            }

            var body = word[(i + 1)..close];
            var nameLength = 0;
            while (nameLength < body.Length && IsNameChar(body[nameLength]))
            {
                nameLength++;
            }

            var value = lookup(body[..nameLength]);
            var modifier = body[nameLength..];
            result.Append(modifier switch
            {
                _ when modifier.StartsWith(":-", StringComparison.Ordinal) =>
                    string.IsNullOrEmpty(value) ? Expand(modifier[2..], lookup, escape) : value,
                _ when modifier.StartsWith(":+", StringComparison.Ordinal) =>
                    string.IsNullOrEmpty(value) ? "" : Expand(modifier[2..], lookup, escape),
                _ when modifier.StartsWith('-') => value ?? Expand(modifier[1..], lookup, escape),
                _ when modifier.StartsWith('+') => value is null ? "" : Expand(modifier[1..], lookup, escape),
                _ => value ?? "",
            });
            return close + 1;
        }

        if (!IsNameChar(word[i]))
        {
            result.Append('$');
            return i;
        }

        var nameStart = i;
        while (i < word.Length && IsNameChar(word[i]))
        {
            i++;
        }

        result.Append(lookup(word[nameStart..i]) ?? "");
        return i;
    }

    private static int FindClosingBrace(string word, int from, char escape)
    {
        var depth = 0;
        for (var i = from; i < word.Length; i++)
        {
            if (word[i] == escape)
            {
                i++;
            }
            else if (word[i] == '{')
            {
                depth++;
            }
            else if (word[i] == '}')
            {
                if (depth == 0)
                {
                    return i;
                }

                depth--;
            }
        }

        return -1;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    [GeneratedRegex(@"^#\s*(?<key>[a-zA-Z][a-zA-Z0-9]*)\s*=\s*(?<value>.+?)\s*$")]
    private static partial Regex DirectiveRegex();

    // <<EOF, <<-EOF, <<"EOF", <<'EOF', optionally after a file descriptor; not the <<< here-string.
    [GeneratedRegex(@"(?<![<\w])\d*<<(?<chomp>-?)(?<quote>[""']?)(?<word>[A-Za-z0-9_.\-]+)\k<quote>")]
    private static partial Regex HeredocRegex();
}
