using DindBuild.Diagnostics;
using DindBuild.Docker;

namespace DindBuild.ImageBuild.BuildKit;

/// <summary>
/// A Dockerfile's <c># syntax=IMAGE</c> line makes BuildKit fetch IMAGE and let it parse the Dockerfile. Without a
/// registry that fails with a bare DNS error deep in the message ("failed to resolve source metadata for
/// docker.io/docker/dockerfile:1: … no such host"); this says what it means and how to get past it.
/// </summary>
internal static class SyntaxFrontend
{
    /// <summary>The frontend image the Dockerfile names, normalised as a pull would (<c>docker/dockerfile:1</c>); null without the line.</summary>
    public static string? ImageOf(string dockerfileText) =>
        DockerfileInstructions.Directive(dockerfileText, "syntax") is { Value: { Length: > 0 } value } ? ImageReference.Parse(value.Trim()).ToString() : null;

    /// <summary>The failure, explained, when it is the frontend image that could not be had; null for any other failure.</summary>
    public static DindBuildException? Explain(DockerfileSource dockerfile, string error, Exception? transportFailure)
    {
        if (DockerfileInstructions.Directive(dockerfile.Text, "syntax") is not { } directive || directive.Value.Trim().Length == 0)
        {
            return null;
        }

        var image = directive.Value.Trim();
        var repository = ImageReference.Parse(image).Repository;
        var aboutIt = error.Contains(repository, StringComparison.OrdinalIgnoreCase)
            && (error.Contains("resolve", StringComparison.OrdinalIgnoreCase) || error.Contains("pull", StringComparison.OrdinalIgnoreCase)
                || error.Contains("not found", StringComparison.OrdinalIgnoreCase) || error.Contains("lookup", StringComparison.OrdinalIgnoreCase));
        return aboutIt ? Unreachable(dockerfile, directive, $"the daemon's error: {error}", transportFailure) : null;
    }

    /// <summary>The frontend image the Dockerfile names cannot be had (at SeedImages, or the build's pull): seed it, or delete the line.</summary>
    public static DindBuildException? Unreachable(DockerfileSource dockerfile, string evidence) =>
        DockerfileInstructions.Directive(dockerfile.Text, "syntax") is { } directive && directive.Value.Trim().Length > 0
            ? Unreachable(dockerfile, directive, evidence, null)
            : null;

    private static DindBuildException Unreachable(DockerfileSource dockerfile, (string Value, int Line) directive, string evidence, Exception? transportFailure)
    {
        var image = directive.Value.Trim();
        return new DindBuildException(
            FailureKind.BuildFailed,
            $"The Dockerfile frontend image {image} could not be fetched: {dockerfile.DisplayPath}:{directive.Line} says '# syntax={image}', which makes BuildKit pull that image to parse the Dockerfile, and the daemon cannot reach its registry (offline, or no such image).",
            evidence,
            $"either make {image} available to the daemon — 'docker pull {image}' (or 'docker load') on the host engine, which SeedImages then copies into the session daemon (in dood mode the host engine is the daemon) — or delete the '# syntax=' line to build with the daemon's built-in Dockerfile frontend.",
            transportFailure)
        {
            Location = new SourceLocation(dockerfile.Path, directive.Line),
        };
    }
}
