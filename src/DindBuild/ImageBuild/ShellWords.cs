using System.Text;

namespace DindBuild.ImageBuild;

/// <summary>The shell-like word handling of Dockerfile arguments: splitting on unquoted whitespace, and variable expansion.</summary>
internal static class ShellWords
{
    /// <summary>Splits on unquoted whitespace, keeping quotes and escapes for <see cref="Expand"/> to interpret.</summary>
    public static List<string> Split(string text, char escape)
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
    public static string Expand(string word, Func<string, string?> lookup, char escape)
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
}
