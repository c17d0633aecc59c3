using DindBuild.Diagnostics;

namespace DindBuild.Images;

/// <summary>
/// The early failure for images no seeding and no pull could bring (exit code of a failed build): every image with
/// what needs it, where it was looked for, and how to provide it — instead of the registry's DNS error mid-build.
/// </summary>
internal static class MissingImageError
{
    /// <param name="missing">The images, each with where seeding looked and the session daemon's pull error.</param>
    /// <param name="seedImages">The <c>--seed-image</c> names, to say which image a parameter asked for and which the Dockerfile needs.</param>
    public static DindBuildException For(IReadOnlyList<(MissingImage Image, string PullError)> missing, IReadOnlyCollection<string> seedImages)
    {
        var lines = missing.Select(entry =>
            $"{entry.Image.Image} (needed by {(seedImages.Contains(entry.Image.Image) ? "--seed-image" : "the Dockerfile")}): {entry.Image.LookedIn}; the session's daemon could not pull it: {entry.PullError}");
        var first = missing[0].Image.Image;
        return new DindBuildException(
            FailureKind.BuildFailed,
            missing.Count == 1
                ? $"The image {first} is nowhere the session's daemon can get it from."
                : $"{missing.Count} images are nowhere the session's daemon can get them from.",
            string.Join('\n', lines),
            $"for each image: put it on the host engine ('docker pull {first}' or 'docker load -i FILE' there; dind mode copies it), "
            + $"or give it as '--seed-archive FILE' (written by 'docker save {first} -o FILE' where it exists), "
            + "or let the daemon reach a registry ('--daemon-arg=--registry-mirror=URL', '--docker-auth-config'); "
            + "drop a --seed-image the tests do not need.");
    }
}
