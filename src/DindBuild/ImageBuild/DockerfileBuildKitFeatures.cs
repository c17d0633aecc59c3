namespace DindBuild.ImageBuild;

/// <summary>
/// The Dockerfile syntax only BuildKit understands. The classic builder rejects some of it ("requires BuildKit")
/// but silently skips a heredoc's body — a <c>RUN &lt;&lt;EOT … exit 1 … EOT</c> step "succeeds" — so a build that would
/// be handed to it is checked first and refused with the lines that need BuildKit.
/// </summary>
internal static class DockerfileBuildKitFeatures
{
    private static readonly Dictionary<string, string[]> Flags = new(StringComparer.OrdinalIgnoreCase)
    {
        ["RUN"] = ["--mount", "--network", "--security"],
        ["COPY"] = ["--chmod", "--link", "--parents", "--exclude"],
        ["ADD"] = ["--chmod", "--link", "--parents", "--exclude", "--checksum", "--keep-git-dir"],
    };

    /// <summary>Each use of BuildKit-only syntax: its 1-based line and what it is (<c>a heredoc in RUN</c>, <c>COPY --chmod</c>).</summary>
    public static IReadOnlyList<(int Line, string What)> Find(string dockerfileText)
    {
        var found = new List<(int, string)>();
        foreach (var (keyword, arguments, line) in DockerfileInstructions.Read(dockerfileText).Instructions)
        {
            if (DockerfileInstructions.OpensHeredoc(keyword, arguments))
            {
                found.Add((line, $"a heredoc in {keyword.ToUpperInvariant()}"));
            }

            if (!Flags.TryGetValue(keyword, out var flags))
            {
                continue;
            }

            foreach (var token in FlagsOf(arguments))
            {
                var flag = token.Split('=', 2)[0];
                if (flags.Contains(flag, StringComparer.OrdinalIgnoreCase))
                {
                    found.Add((line, $"{keyword.ToUpperInvariant()} {flag.ToLowerInvariant()}"));
                }
            }
        }

        return found;
    }

    /// <summary>Whether a RUN step mounts a secret (<c>--mount=type=secret,…</c>): BuildKit then needs a client session, given secrets or not.</summary>
    public static bool MountsSecrets(string dockerfileText) =>
        DockerfileInstructions.Read(dockerfileText).Instructions
            .Where(instruction => string.Equals(instruction.Keyword, "RUN", StringComparison.OrdinalIgnoreCase))
            .SelectMany(instruction => FlagsOf(instruction.Arguments))
            .Where(token => token.StartsWith("--mount=", StringComparison.OrdinalIgnoreCase))
            .Any(token => token["--mount=".Length..].Split(',').Any(option => string.Equals(option.Trim(), "type=secret", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The instruction's leading <c>--flag[=value]</c> words, before its command or sources.</summary>
    private static IEnumerable<string> FlagsOf(string arguments) =>
        arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).TakeWhile(token => token.StartsWith("--", StringComparison.Ordinal));
}
