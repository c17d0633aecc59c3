using DindBuild.ImageBuild;
using DindBuild.Docker;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// BuildImage: <c>docker build</c> of the context inside the session daemon (BuildKit where it has it), labelled with
    /// the session. The host artifacts directory and DindBuild's state are never sent in the context, whatever
    /// <c>.dockerignore</c> says.
    /// </summary>
    public Task BuildImageAsync(CancellationToken cancellationToken) => StepAsync("BuildImage", async () =>
    {
        RequireOpen("BuildImage");
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var (builder, reason) = BuilderSelection.Resolve(Options.Builder, await daemon.System.GetVersionAsync(cancellationToken).ConfigureAwait(false));
        _log.Information("Builder: {Builder} ({Reason})", BuilderSelection.Name(builder), reason);
        _steps.Facts = _steps.Facts with { Builder = BuilderSelection.Name(builder) };
        var spec = new ImageBuildSpec(Options.ImageTag, Options.Dockerfile)
        {
            BuildArgs = Options.BuildArgs,
            TargetStage = Options.TargetStage,
            Labels = SessionLabels.For(Id, "image"),
            RegistryCredentials = Options.RegistryCredentials,
            Builder = builder,
        };
        ImageSummary built = await new ImageBuilder(daemon, _log, displayRoot: Options.RepositoryRoot).BuildAsync(Options.ContextDirectory, spec, cancellationToken, [Options.HostArtifactsDirectory]).ConfigureAwait(false);
        _state = _state with { BuiltImageId = built.Id, BuiltImageTag = Options.ImageTag, BuiltImageSize = built.Size };
    });
}
