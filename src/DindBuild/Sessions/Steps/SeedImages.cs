using DindBuild.ImageBuild;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// SeedImages: the images the build needs — FROM, COPY --from and RUN --mount from= images of the stages it builds
    /// (with BuildKit only those the target needs, and a <c># syntax=</c> frontend) — copied into the session daemon
    /// where the mode means that (dind, external with a local engine).
    /// </summary>
    public Task SeedImagesAsync(CancellationToken cancellationToken) => StepAsync("SeedImages", async () =>
    {
        RequireOpen("SeedImages");
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var (builder, _) = BuilderSelection.Resolve(Options.Builder, await daemon.System.GetVersionAsync(cancellationToken).ConfigureAwait(false));
        await _mode.SeedAsync(DockerfileImages(builder), cancellationToken).ConfigureAwait(false);
    });
}
