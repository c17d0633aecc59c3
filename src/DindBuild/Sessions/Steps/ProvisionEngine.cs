namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>ProvisionEngine: the engine this mode starts from answers (a host layer may install one first).</summary>
    public Task ProvisionEngineAsync(CancellationToken cancellationToken) => _connected ? Task.CompletedTask : StepAsync("ProvisionEngine", async () =>
    {
        // The first step of every run that starts a daemon: a stack this mode cannot run is refused before that.
        RefuseComposeOutsideDind();
        await _mode.ConnectAsync(cancellationToken).ConfigureAwait(false);
        _connected = true;
    });

    /// <summary>PrepareImages: builds the images this machine cannot pull (the DinD image, the Dockerfile's base images) where this mode takes them from.</summary>
    public Task PrepareImagesAsync(CancellationToken cancellationToken) => StepAsync("PrepareImages", async () =>
    {
        await ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
        await _mode.PrepareImagesAsync([.. DockerfileImages(), .. Compose.ComposeRecipeImages.Named(Options.Compose.Files)], cancellationToken).ConfigureAwait(false);
    });
}
