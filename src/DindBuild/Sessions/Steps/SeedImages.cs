using DindBuild.Docker;
using DindBuild.ImageBuild;
using DindBuild.Images;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// SeedImages: first the <c>--seed-archive</c> files (<c>docker load</c>), then the images the run needs — FROM,
    /// COPY --from and RUN --mount from= images of the stages it builds (with BuildKit only those the target needs, and
    /// a <c># syntax=</c> frontend), and every <c>--seed-image</c> — copied into the session daemon where the mode
    /// means that (dind, external with a local engine). An image that is still missing is pulled by the session daemon
    /// now; when that fails too, the step fails with every missing image, where it was looked for and how to provide it.
    /// </summary>
    public Task SeedImagesAsync(CancellationToken cancellationToken) => StepAsync("SeedImages", async () =>
    {
        RequireOpen("SeedImages");
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var (builder, _) = BuilderSelection.Resolve(Options.Builder, await daemon.System.GetVersionAsync(cancellationToken).ConfigureAwait(false));
        if (!Options.SeedArchives.IsEmpty)
        {
            await new ArchiveSeeder(daemon, _log).LoadAsync(Options.SeedArchives, cancellationToken).ConfigureAwait(false);
        }

        var composeImages = await ComposeImagesAsync(builder, cancellationToken).ConfigureAwait(false);
        var images = DockerfileImages(builder).Concat(Options.SeedImages).Concat(composeImages).Distinct(StringComparer.Ordinal).ToList();
        var missing = await _mode.SeedAsync(images, cancellationToken).ConfigureAwait(false);
        await PullOrFailAsync(daemon, missing, composeImages, cancellationToken).ConfigureAwait(false);
    });

    private async Task PullOrFailAsync(IDockerEngine daemon, IReadOnlyList<MissingImage> missing, IReadOnlyList<string> composeImages, CancellationToken cancellationToken)
    {
        var failed = new List<(MissingImage Image, string PullError)>();
        foreach (var image in missing)
        {
            _log.Information("{Image} is not in the session's daemon: pulling it{Mirrors:l} ({Where})", image.Image, _mode.RegistryMirrors.Count > 0 && ImageReference.Parse(image.Image).Registry == "docker.io" ? $" through the registry mirror {string.Join(", ", _mode.RegistryMirrors)}" : "", image.LookedIn);
            if (await ImagePull.TryAsync(daemon, image.Image, cancellationToken).ConfigureAwait(false) is { } error)
            {
                failed.Add((image, error));
            }
        }

        if (failed.Count == 0)
        {
            return;
        }

        // The classic builder pulls with --docker-auth-config's credentials, which this anonymous pull has not: leave
        // the Dockerfile's images to it then, but an image only the tests use has no later chance.
        var forTestsOnly = failed.Where(entry => (Options.SeedImages.Contains(entry.Image.Image) || composeImages.Contains(entry.Image.Image)) && !DockerfileImages().Contains(entry.Image.Image)).ToList();
        if (!Options.RegistryCredentials.IsEmpty && forTestsOnly.Count < failed.Count)
        {
            _log.Warning("The session's daemon could not pull {Images} without credentials; the build pulls them with --docker-auth-config's", string.Join(", ", failed.Except(forTestsOnly).Select(entry => entry.Image.Image)));
            failed = forTestsOnly;
            if (failed.Count == 0)
            {
                return;
            }
        }

        // The '# syntax=' frontend is not a base image: its fix includes deleting that line, as the build would say.
        var dockerfile = ImageBuild.DockerfileSource.Load(Options.ContextDirectory, Options.Dockerfile, Options.RepositoryRoot);
        if (ImageBuild.BuildKit.SyntaxFrontend.ImageOf(dockerfile.Text) is { } frontend
            && failed.FirstOrDefault(entry => entry.Image.Image == frontend) is { Image: not null } unreachable
            && ImageBuild.BuildKit.SyntaxFrontend.Unreachable(dockerfile, $"{frontend}: {unreachable.Image.LookedIn}; the session's daemon could not pull it: {unreachable.PullError}") is { } explained)
        {
            throw explained;
        }

        throw MissingImageError.For(failed, Options.SeedImages, _mode.RegistryMirrors, composeImages);
    }
}
