namespace DindBuild.ImageBuild;

/// <summary>
/// Works out which external images a Dockerfile's <c>FROM</c> lines pull, so they can be fetched (or checked)
/// before the build starts.
/// </summary>
/// <remarks>
/// This follows the BuildKit Dockerfile frontend closely enough for FROM lines: parser directives
/// (<c># escape=</c>), comments, line continuations, heredocs, global <c>ARG</c>s and shell-style variable
/// expansion. It is not a full Dockerfile parser; everything other than ARG and FROM is ignored.
/// </remarks>
internal static class DockerfileBaseImages
{
    // BuildKit defines these in the global scope without an ARG, so FROM lines may use them directly.
    private static readonly HashSet<string> AutomaticPlatformArgs = new(StringComparer.Ordinal)
    {
        "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    };

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

        var (escape, instructions) = DockerfileInstructions.Read(dockerfileText);
        foreach (var (keyword, arguments, _) in instructions)
        {
            if (keyword.Equals("ARG", StringComparison.OrdinalIgnoreCase))
            {
                // ARGs inside a stage are scoped to it and never reach a FROM line.
                if (seenFrom)
                {
                    continue;
                }

                foreach (var word in ShellWords.Split(arguments, escape))
                {
                    var equals = word.IndexOf('=', StringComparison.Ordinal);
                    var name = equals < 0 ? word : word[..equals];
                    if (buildArgs.TryGetValue(name, out var fromBuildArg))
                    {
                        globalArgs[name] = fromBuildArg;
                    }
                    else if (equals >= 0)
                    {
                        globalArgs[name] = ShellWords.Expand(word[(equals + 1)..], Lookup, escape);
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

                var image = ShellWords.Expand(tokens[index], Lookup, escape).Trim();
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

    /// <summary>
    /// The 1-based line on which the builder's <c>Step N/M</c> instruction starts (instructions counted
    /// as the classic builder counts them: continuations joined, comments skipped); null past the end.
    /// </summary>
    public static int? LineOfInstruction(string dockerfileText, int instructionNumber)
    {
        var (_, instructions) = DockerfileInstructions.Read(dockerfileText);
        return instructions.Skip(instructionNumber - 1).Select(instruction => (int?)instruction.LineNumber).FirstOrDefault();
    }

    /// <summary>Adds <c>:latest</c> to references without a tag or digest.</summary>
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
}
