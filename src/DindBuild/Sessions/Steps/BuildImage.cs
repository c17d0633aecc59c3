using DindBuild.ImageBuild;
using DindBuild.Docker;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// BuildImage: <c>docker build</c> of the context inside the session daemon, labelled with the session. The host
    /// artifacts directory and DindBuild's state are never sent in the context, whatever <c>.dockerignore</c> says.
    /// </summary>
    public Task BuildImageAsync(CancellationToken cancellationToken) => StepAsync("BuildImage", async () =>
    {
        RequireOpen("BuildImage");
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var spec = new ImageBuildSpec(Options.ImageTag, Options.Dockerfile)
        {
            BuildArgs = Options.BuildArgs,
            TargetStage = Options.TargetStage,
            Labels = SessionLabels.For(Id, "image"),
            RegistryCredentials = Options.RegistryCredentials,
        };
        ImageSummary built = await new ImageBuilder(daemon, _log).BuildAsync(Options.ContextDirectory, spec, cancellationToken, [Options.HostArtifactsDirectory]).ConfigureAwait(false);
        _state = _state with { BuiltImageId = built.Id, BuiltImageTag = Options.ImageTag, BuiltImageSize = built.Size };
    });
}
