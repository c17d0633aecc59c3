using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace DindBuild.Provisioning;

/// <summary>
/// An image made from Debian packages with debootstrap, for machines that cannot pull from a
/// registry. The <see cref="Fingerprint"/> is stored as a label, so an image is rebuilt only when its
/// recipe changed.
/// </summary>
internal sealed record ImageRecipe(string ImageName, string Suite, ImmutableArray<string> Packages, ImmutableArray<string> Changes)
{
    public const string FingerprintLabel = "org.dindbuild.recipe";

    /// <summary>
    /// Docker 26 (API 1.45) from trixie: bookworm's Docker 20.10 (API 1.41) is refused by modern
    /// clients such as Testcontainers, which the tests inside may use.
    /// </summary>
    public static ImageRecipe Dind { get; } = new(
        "dindbuild/dind:trixie",
        "trixie",
        ["docker.io", "docker-cli", "iptables", "ca-certificates"],
        ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "VOLUME /var/lib/docker", "CMD [\"dockerd\"]"]);

    /// <summary>The base image of the sample under samples/: Python with pytest.</summary>
    public static ImageRecipe Python { get; } = new(
        "dindbuild/python:trixie",
        "trixie",
        ["python3", "python3-pytest", "ca-certificates"],
        ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8", "CMD [\"python3\"]"]);

    public static ImmutableArray<ImageRecipe> Known { get; } = [Dind, Python];

    public string Fingerprint
    {
        get
        {
            var text = string.Join('\n', [ImageName, Suite, .. Packages, .. Changes]);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        }
    }

    public static ImageRecipe? ForImage(string imageName) => Known.FirstOrDefault(recipe => recipe.ImageName == imageName);
}
