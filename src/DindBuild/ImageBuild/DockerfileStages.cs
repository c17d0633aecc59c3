namespace DindBuild.ImageBuild;

/// <summary>One <c>FROM</c> of a Dockerfile: its 0-based index (as in <c>COPY --from=0</c>), its <c>AS</c> name, the image as written, and its 1-based line.</summary>
internal sealed record DockerfileStage(int Index, string? Name, string BaseImage, int Line);

/// <summary>
/// The build stages of a Dockerfile, so that a wrong <c>--target-stage</c> or a multi-stage Dockerfile
/// built to its last stage can be explained before (or instead of) a daemon finding out.
/// </summary>
/// <remarks>
/// Reads instructions with <see cref="DockerfileInstructions"/>, as <see cref="DockerfileBaseImages"/> does (parser directives, comments,
/// continuations, heredocs), sharing its reader so the two never disagree about what is a FROM line.
/// </remarks>
internal static class DockerfileStages
{
    public static IReadOnlyList<DockerfileStage> Parse(string dockerfileText)
    {
        ArgumentNullException.ThrowIfNull(dockerfileText);
        var stages = new List<DockerfileStage>();
        foreach (var (keyword, arguments, line) in DockerfileInstructions.Read(dockerfileText).Instructions)
        {
            if (!keyword.Equals("FROM", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // Flags such as --platform=... only come before the image.
            var tokens = arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
                .SkipWhile(token => token.StartsWith("--", StringComparison.Ordinal))
                .ToArray();

            // A FROM without an image is rejected by Docker itself; it is no stage to name here.
            if (tokens.Length == 0)
            {
                continue;
            }

            var name = tokens.Length >= 3 && tokens[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? tokens[2] : null;
            stages.Add(new DockerfileStage(stages.Count, name, tokens[0], line));
        }

        return stages;
    }

    /// <summary>
    /// For messages: <c>build (line 1, FROM mcr.microsoft.com/dotnet/sdk:10.0), test (line 7, FROM build)</c>;
    /// an unnamed stage shows as <c>#2</c>, its index.
    /// </summary>
    public static string Describe(IReadOnlyList<DockerfileStage> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        return stages.Count == 0
            ? "(no FROM line)"
            : string.Join(", ", stages.Select(stage => $"{stage.Name ?? "#" + stage.Index} (line {stage.Line}, FROM {stage.BaseImage})"));
    }

    /// <summary>The stage <c>docker build --target</c> selects: names match ignoring case, as BuildKit matches them.</summary>
    internal static DockerfileStage? Named(IReadOnlyList<DockerfileStage> stages, string name) =>
        stages.FirstOrDefault(stage => string.Equals(stage.Name, name, StringComparison.OrdinalIgnoreCase));
}
