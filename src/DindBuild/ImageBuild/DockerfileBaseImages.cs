namespace DindBuild.ImageBuild;

/// <summary>
/// Works out which external images a Dockerfile pulls — its <c>FROM</c> lines, and the images named by
/// <c>COPY --from=IMAGE</c> and <c>RUN --mount=…,from=IMAGE</c> — so they can be fetched (or checked) before the build starts.
/// </summary>
/// <remarks>
/// This follows the BuildKit Dockerfile frontend closely enough for these references: parser directives
/// (<c># escape=</c>), comments, line continuations, heredocs, global <c>ARG</c>s and shell-style variable
/// expansion. It is not a full Dockerfile parser; everything other than ARG, FROM, COPY and RUN is ignored.
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
    /// Returns the distinct external images the Dockerfile needs, in order of first use, with untagged
    /// references normalised to <c>:latest</c>.
    /// </summary>
    /// <param name="dockerfileText">The Dockerfile contents.</param>
    /// <param name="buildArgs">
    /// <c>--build-arg</c> values. As in Docker they only override ARGs declared before the first FROM (plus
    /// BuildKit's automatic platform args); an argument the Dockerfile does not declare has no effect.
    /// </param>
    /// <param name="neededFor">
    /// BuildKit builds only the stages its target needs: given, only the images of the stages the target
    /// (a stage name, or <see cref="LastStage"/>) depends on count. Null: every stage's, as the classic builder builds them all.
    /// </param>
    /// <remarks>
    /// References to stages and <c>scratch</c> are not external images and are left out; so is a reference
    /// that expands to nothing (Docker would reject that Dockerfile itself). Digests are kept as given.
    /// </remarks>
    public static IReadOnlyList<string> Parse(string dockerfileText, IReadOnlyDictionary<string, string>? buildArgs = null, string? neededFor = null)
    {
        ArgumentNullException.ThrowIfNull(dockerfileText);
        var stages = ReadStages(dockerfileText, buildArgs ?? new Dictionary<string, string>());
        var needed = neededFor is null ? null : Needed(stages, neededFor);
        var images = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stage in stages.Where(stage => needed is null || needed.Contains(stage.Index)))
        {
            foreach (var image in stage.Images.Where(seen.Add))
            {
                images.Add(image);
            }
        }

        return images;
    }

    /// <summary>The target meaning "the last stage", as <c>docker build</c> without <c>--target</c> builds it.</summary>
    public const string LastStage = "";

    /// <summary>
    /// The 1-based line on which the builder's <c>Step N/M</c> instruction starts (instructions counted
    /// as the classic builder counts them: continuations joined, comments skipped); null past the end.
    /// </summary>
    public static int? LineOfInstruction(string dockerfileText, int instructionNumber)
    {
        var (_, instructions) = DockerfileInstructions.Read(dockerfileText);
        return instructions.Skip(instructionNumber - 1).Select(instruction => (int?)instruction.LineNumber).FirstOrDefault();
    }

    private sealed record Stage(int Index, string? Name, List<string> Images, List<string> StageReferences);

    private static List<Stage> ReadStages(string dockerfileText, IReadOnlyDictionary<string, string> buildArgs)
    {
        // null value = declared but unset, which matters for ${VAR-default} versus ${VAR:-default}.
        var globalArgs = new Dictionary<string, string?>(StringComparer.Ordinal);
        var allStageNames = new HashSet<string>(
            DockerfileStages.Parse(dockerfileText).Select(stage => stage.Name).OfType<string>(),
            StringComparer.OrdinalIgnoreCase);
        var earlierStageNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var stages = new List<Stage>();

        string? Lookup(string name)
        {
            if (globalArgs.TryGetValue(name, out var value))
            {
                return value;
            }

            return AutomaticPlatformArgs.Contains(name) && buildArgs.TryGetValue(name, out var automatic) ? automatic : null;
        }

        var (escape, instructions) = DockerfileInstructions.Read(dockerfileText);

        // A reference in COPY --from or RUN --mount from= is a stage when any stage (earlier or later) has that name or index.
        void Reference(Stage stage, string raw)
        {
            var reference = ShellWords.Expand(raw, Lookup, escape).Trim();
            if (reference.Length == 0 || reference.Equals("scratch", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            if (allStageNames.Contains(reference) || (int.TryParse(reference, out var index) && index >= 0))
            {
                stage.StageReferences.Add(reference);
                return;
            }

            stage.Images.Add(Normalise(reference));
        }

        foreach (var (keyword, arguments, _) in instructions)
        {
            if (keyword.Equals("ARG", StringComparison.OrdinalIgnoreCase))
            {
                // ARGs inside a stage are scoped to it and never reach a FROM line.
                if (stages.Count == 0)
                {
                    DeclareGlobalArgs(arguments, escape, buildArgs, globalArgs, Lookup);
                }
            }
            else if (keyword.Equals("FROM", StringComparison.OrdinalIgnoreCase))
            {
                var tokens = arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).SkipWhile(IsFlag).ToArray();

                // A FROM without an image is rejected by Docker itself; it is no stage to read here.
                if (tokens.Length == 0)
                {
                    continue;
                }

                var name = tokens.Length >= 3 && tokens[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? tokens[2] : null;
                var stage = new Stage(stages.Count, name, [], []);
                stages.Add(stage);
                var image = ShellWords.Expand(tokens[0], Lookup, escape).Trim();

                // A FROM can only build on an earlier stage; the name is added after the check.
                if (earlierStageNames.Contains(image))
                {
                    stage.StageReferences.Add(image);
                }
                else if (image.Length > 0 && !image.Equals("scratch", StringComparison.OrdinalIgnoreCase))
                {
                    stage.Images.Add(Normalise(image));
                }

                if (name is not null)
                {
                    earlierStageNames.Add(name);
                }
            }
            else if (stages.Count > 0 && (keyword.Equals("COPY", StringComparison.OrdinalIgnoreCase) || keyword.Equals("RUN", StringComparison.OrdinalIgnoreCase)))
            {
                foreach (var flag in arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).TakeWhile(IsFlag))
                {
                    if (flag.StartsWith("--from=", StringComparison.OrdinalIgnoreCase) && keyword.Equals("COPY", StringComparison.OrdinalIgnoreCase))
                    {
                        Reference(stages[^1], flag["--from=".Length..]);
                    }
                    else if (flag.StartsWith("--mount=", StringComparison.OrdinalIgnoreCase) && MountSource(flag["--mount=".Length..]) is { } from)
                    {
                        Reference(stages[^1], from);
                    }
                }
            }
        }

        return stages;
    }

    private static void DeclareGlobalArgs(string arguments, char escape, IReadOnlyDictionary<string, string> buildArgs, Dictionary<string, string?> globalArgs, Func<string, string?> lookup)
    {
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
                globalArgs[name] = ShellWords.Expand(word[(equals + 1)..], lookup, escape);
            }
            else
            {
                globalArgs.TryAdd(name, null);
            }
        }
    }

    /// <summary>The <c>from=</c> of a <c>RUN --mount</c> value (<c>type=bind,from=img,source=/x,target=/y</c>), if any.</summary>
    private static string? MountSource(string mount) =>
        mount.Trim('"', '\'').Split(',')
            .Select(option => option.Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0].Trim().Equals("from", StringComparison.OrdinalIgnoreCase))
            .Select(pair => pair[1].Trim())
            .FirstOrDefault();

    /// <summary>The stages the target needs, itself included, following FROM, COPY --from and RUN --mount from= references.</summary>
    private static HashSet<int> Needed(List<Stage> stages, string target)
    {
        var needed = new HashSet<int>();
        if (stages.Count == 0)
        {
            return needed;
        }

        var start = target == LastStage ? stages[^1] : stages.FirstOrDefault(stage => string.Equals(stage.Name, target, StringComparison.OrdinalIgnoreCase));
        if (start is null)
        {
            // An unknown target is reported by the input checks; here every stage counts, so nothing is missed.
            return [.. stages.Select(stage => stage.Index)];
        }

        var pending = new Stack<Stage>([start]);
        while (pending.TryPop(out var stage))
        {
            if (!needed.Add(stage.Index))
            {
                continue;
            }

            foreach (var reference in stage.StageReferences)
            {
                var next = int.TryParse(reference, out var index)
                    ? stages.ElementAtOrDefault(index)
                    : stages.FirstOrDefault(candidate => string.Equals(candidate.Name, reference, StringComparison.OrdinalIgnoreCase));
                if (next is not null)
                {
                    pending.Push(next);
                }
            }
        }

        return needed;
    }

    private static bool IsFlag(string token) => token.StartsWith("--", StringComparison.Ordinal);

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
