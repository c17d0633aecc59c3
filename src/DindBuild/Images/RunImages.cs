using DindBuild.Docker;
using DindBuild.ImageBuild;
using DindBuild.Settings;

namespace DindBuild.Images;

/// <summary>
/// The images a run's build pulls, from its Dockerfile: SeedImages seeds them, and StartDaemon keys the seed snapshot
/// by them (before the builder is known: every stage's, a superset of what BuildKit needs).
/// </summary>
internal static class RunImages
{
    /// <summary>With BuildKit those of the stages the target needs, and the <c># syntax=</c> frontend; else every stage's.</summary>
    public static IReadOnlyList<string> FromDockerfile(DindSettings options, BuilderKind? builder = null)
    {
        var path = options.DockerfilePath;
        if (!File.Exists(path))
        {
            return [];
        }

        var text = File.ReadAllText(path);
        if (builder != BuilderKind.BuildKit)
        {
            return DockerfileBaseImages.Parse(text, options.BuildArgs);
        }

        var images = DockerfileBaseImages.Parse(text, options.BuildArgs, options.TargetStage ?? DockerfileBaseImages.LastStage);
        return ImageBuild.BuildKit.SyntaxFrontend.ImageOf(text) is { } frontend && !images.Contains(frontend) ? [frontend, .. images] : images;
    }

    /// <summary>What a seed snapshot holds: every stage's images, the frontend, and every <c>--seed-image</c>.</summary>
    public static IReadOnlyList<string> ForSnapshot(DindSettings options) =>
        [.. FromDockerfile(options).Concat(FromDockerfile(options, BuilderKind.BuildKit)).Concat(options.SeedImages).Distinct(StringComparer.Ordinal)];
}
