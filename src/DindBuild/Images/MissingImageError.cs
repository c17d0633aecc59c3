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
    /// <param name="mirrors">
    /// The registry mirrors the session daemon asked first for Docker Hub images. dockerd reports the last error only —
    /// Docker Hub's, after the mirror failed — so without this the mirror the user set up would not even be named.
    /// </param>
    /// <param name="composeImages">The images the <c>--compose-file</c> stack runs or builds from, to say so.</param>
    public static DindBuildException For(IReadOnlyList<(MissingImage Image, string PullError)> missing, IReadOnlyCollection<string> seedImages, IReadOnlyList<string>? mirrors = null, IReadOnlyCollection<string>? composeImages = null)
    {
        composeImages ??= [];
        mirrors ??= [];
        bool Mirrored(string image) => mirrors.Count > 0 && Docker.ImageReference.Parse(image).Registry == "docker.io";
        var lines = missing.Select(entry =>
            $"{entry.Image.Image} (needed by {(seedImages.Contains(entry.Image.Image) ? "--seed-image" : composeImages.Contains(entry.Image.Image) ? "the compose stack" : "the Dockerfile")}): {entry.Image.LookedIn}; "
            + (Mirrored(entry.Image.Image) ? $"the session's daemon could not pull it from its registry mirror{(mirrors.Count == 1 ? "" : "s")} {string.Join(", ", mirrors)} nor from Docker Hub after {(mirrors.Count == 1 ? "it" : "them")}: " : "the session's daemon could not pull it: ")
            + entry.PullError);
        var first = missing[0].Image.Image;
        var mirrorFix = missing.Any(entry => Mirrored(entry.Image.Image))
            ? $"check that the mirror ({string.Join(", ", mirrors)}) has it — a Docker Hub image NAME is asked for there as library/NAME — and that the DinD daemon reaches and trusts it ('--registry-ca HOST=FILE' for a private CA, '--insecure-registry HOST' for plain HTTP); "
            : "";
        return new DindBuildException(
            FailureKind.BuildFailed,
            missing.Count == 1
                ? $"The image {first} is nowhere the session's daemon can get it from."
                : $"{missing.Count} images are nowhere the session's daemon can get them from.",
            string.Join('\n', lines),
            mirrorFix
            + $"for each image: put it on the host engine ('docker pull {first}' or 'docker load -i FILE' there; dind mode copies it), "
            + $"or give it as '--seed-archive FILE' (written by 'docker save {first} -o FILE' where it exists), "
            + "or let the daemon reach a registry ('--registry-mirror URL', '--docker-auth-config'); "
            + "drop a --seed-image the tests do not need.");
    }
}
