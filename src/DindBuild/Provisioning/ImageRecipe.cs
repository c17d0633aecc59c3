using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using DindBuild.Docker;
using DindBuild.Provisioning.Dotnet;
using Serilog;

namespace DindBuild.Provisioning;

/// <summary>
/// An image made from Debian packages with debootstrap, for machines that cannot pull from a
/// registry. The <see cref="Fingerprint"/> is stored as a label, so an image is rebuilt only when its
/// recipe changed.
/// </summary>
internal sealed record ImageRecipe(string ImageName, string Suite, ImmutableArray<string> Packages, ImmutableArray<string> Changes)
{
    public const string FingerprintLabel = "org.dindbuild.recipe";

    /// <summary>Marks an image DindBuild built under someone else's name; an image of that name without it is the real one and is never replaced.</summary>
    public const string StandInLabel = "org.dindbuild.offline-stand-in";

    /// <summary>
    /// Docker 26 (API 1.45) from trixie: bookworm's Docker 20.10 (API 1.41) is refused by modern
    /// clients such as Testcontainers, which the tests inside may use. With Docker Compose v2 (trixie's
    /// <c>docker-compose</c> 2.26, the <c>docker compose</c> CLI plugin), which runs <c>--compose-file</c> stacks
    /// in the container, where their relative bind mounts resolve (see Compose/ComposeStack.cs).
    /// </summary>
    public static ImageRecipe Dind { get; } = new(
        "dindbuild/dind:trixie",
        "trixie",
        ["docker.io", "docker-cli", "docker-compose", "iptables", "ca-certificates"],
        ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "VOLUME /var/lib/docker", "CMD [\"dockerd\"]"]);

    /// <summary>The base image of the sample under samples/: Python with pytest.</summary>
    public static ImageRecipe Python { get; } = new(
        "dindbuild/python:trixie",
        "trixie",
        ["python3", "python3-pytest", "ca-certificates"],
        ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8", "CMD [\"python3\"]"]);

    /// <summary>The dependency of samples/compose-app: redis-server (and redis-cli, for its healthcheck), open to the stack's network.</summary>
    public static ImageRecipe Redis { get; } = new(
        "dindbuild/redis:trixie",
        "trixie",
        ["redis-server", "redis-tools"],
        ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "EXPOSE 6379", "CMD [\"redis-server\", \"--protected-mode\", \"no\", \"--bind\", \"0.0.0.0\"]"]);

    public static ImmutableArray<ImageRecipe> Known { get; } = [Dind, Python, Redis];

    /// <summary>What is put into the root filesystem after debootstrap (a copied SDK, warm caches); its fingerprint is the recipe's too.</summary>
    public IRootfsAddition? Addition { get; init; }

    /// <summary>True for an image of a name DindBuild does not own (<see cref="StandInLabel"/>): a real one is preferred, pulled or present.</summary>
    public bool IsStandIn { get; init; }

    /// <summary>
    /// Whether a build must run the recipe before taking the image it found (null: none): when it is
    /// missing, and for a stand-in always — its content follows the build context (the packages it
    /// restores), so it is made current (or found to be the real image) every time.
    /// </summary>
    public bool NeededForBuild(ImageSummary? found) => found is null || IsStandIn;

    public string Fingerprint
    {
        get
        {
            var text = string.Join('\n', [ImageName, Suite, .. Packages, .. Changes, Addition?.Fingerprint ?? ""]);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        }
    }

    /// <summary>
    /// The recipe for <paramref name="imageName"/>, if DindBuild has one; <paramref name="contextDirectory"/>
    /// is the build context, whose packages a stand-in for an SDK image carries.
    /// </summary>
    public static ImageRecipe? ForImage(string imageName, string? contextDirectory = null) =>
        Known.FirstOrDefault(recipe => recipe.ImageName == imageName) ?? DotnetSdkStandIn.ForImage(imageName, contextDirectory);
}

/// <summary>Content added to a recipe's root filesystem, between debootstrap and the import.</summary>
internal interface IRootfsAddition
{
    /// <summary>Everything the content depends on (versions, hashes of inputs), as text.</summary>
    string Fingerprint { get; }

    /// <summary>Puts the content under <paramref name="root"/>, the unpacked root filesystem.</summary>
    Task AddToAsync(string root, ILogger log, CancellationToken cancellationToken);
}
