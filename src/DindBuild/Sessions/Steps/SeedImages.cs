namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>SeedImages: the images the Dockerfile's FROM lines need, copied into the session daemon where the mode means that (dind, external with a local engine).</summary>
    public Task SeedImagesAsync(CancellationToken cancellationToken) => StepAsync("SeedImages", async () =>
    {
        RequireOpen("SeedImages");
        await DaemonAsync(cancellationToken).ConfigureAwait(false);
        await _mode.SeedAsync(DockerfileImages(), cancellationToken).ConfigureAwait(false);
    });
}
