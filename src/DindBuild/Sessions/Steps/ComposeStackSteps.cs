using DindBuild.Compose;
using DindBuild.Docker;
using DindBuild.ImageBuild;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    private ComposeModel? _composeModel;

    /// <summary>With <c>--compose-file</c>: each service's container as <c>docker compose ps</c> showed it after RunTests (in this or an earlier process).</summary>
    public IReadOnlyList<ComposeServiceState> ComposeServices => History().ComposeServices;

    /// <summary>Refused before any daemon starts: only dind runs compose stacks in this version.</summary>
    private void RefuseComposeOutsideDind()
    {
        if (Options.Compose.Enabled && _mode is not IComposeHosting)
        {
            throw ComposeRefusal.For(Mode, Options.Compose.Files);
        }
    }

    private async Task<ComposeStack> ComposeStackAsync(CancellationToken cancellationToken)
    {
        RefuseComposeOutsideDind();
        return new ComposeStack(await ((IComposeHosting)_mode).ComposeHostAsync(cancellationToken).ConfigureAwait(false), Options.Compose, Id, _log);
    }

    /// <summary>The stack's model, once per process: its files copied into the DinD container, compose asked, the override written.</summary>
    private async Task<(ComposeStack Stack, ComposeModel Model)> ComposeModelAsync(CancellationToken cancellationToken)
    {
        var stack = await ComposeStackAsync(cancellationToken).ConfigureAwait(false);
        _composeModel ??= await stack.PrepareAsync([Options.HostArtifactsDirectory], _services.Owner, Options.ContainerArtifactsPath, cancellationToken).ConfigureAwait(false);
        return (stack, _composeModel);
    }

    /// <summary>SeedImages with a stack: the <c>image:</c> of every service compose does not build, and the base images of those it does.</summary>
    private async Task<IReadOnlyList<string>> ComposeImagesAsync(BuilderKind builder, CancellationToken cancellationToken)
    {
        if (!Options.Compose.Enabled)
        {
            return [];
        }

        var (_, model) = await ComposeModelAsync(cancellationToken).ConfigureAwait(false);
        var images = model.ImagesToSeed().ToList();
        foreach (var build in model.Services.Select(service => service.Build).OfType<ComposeBuild>())
        {
            images.AddRange(Images.RunImages.FromDockerfile(ServiceBuildOptions(build), builder));
        }

        _log.Information("The compose stack {Project} has services {Services}", model.Project, string.Join(", ", model.Services.Select(service => service.Name)));
        return images;
    }

    /// <summary>
    /// BuildImage with a stack: each service with <c>build:</c> built by the session's builder (BuildKit, secrets, as the
    /// image) and tagged as compose looks for it (<c>up --no-build</c>); services with the same build share one.
    /// </summary>
    private async Task BuildComposeServicesAsync(IDockerEngine daemon, ImageBuildSpec template, CancellationToken cancellationToken)
    {
        if (!Options.Compose.Enabled)
        {
            return;
        }

        var (_, model) = await ComposeModelAsync(cancellationToken).ConfigureAwait(false);
        var built = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in model.Services.Where(service => service.Build is not null))
        {
            var build = service.Build!;
            var tag = service.ImageFor(model.Project);
            if (built.TryGetValue(build.Key, out var same))
            {
                await daemon.Images.TagAsync(same, tag, cancellationToken).ConfigureAwait(false);
                _log.Information("Compose service {Service}: the same build as {Image}, tagged {Tag}", service.Name, same, tag);
                continue;
            }

            _log.Information("Building compose service {Service} ({Context}) as {Tag}", service.Name, build.Context, tag);
            var spec = template with
            {
                Tag = tag,
                Dockerfile = build.Dockerfile,
                TargetStage = build.Target,
                BuildArgs = template.BuildArgs.SetItems(build.Args),
                Labels = SessionLabels.For(Id, "compose-image"),
            };
            await new ImageBuilder(daemon, _log, displayRoot: Options.RepositoryRoot).BuildAsync(build.Context, spec, cancellationToken, [Options.HostArtifactsDirectory]).ConfigureAwait(false);
            built[build.Key] = tag;
        }
    }

    /// <summary>Teardown with a stack: <c>compose down</c> first, best effort (in dind the DinD container's removal takes the rest with it).</summary>
    private async Task ComposeDownAsync()
    {
        if (!Options.Compose.Enabled || _mode is not IComposeHosting)
        {
            return;
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await (await ComposeStackAsync(limit.Token).ConfigureAwait(false)).DownAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log.Debug("docker compose down before teardown did not run: {Reason}", ex.Message);
        }
    }

    private Settings.DindSettings ServiceBuildOptions(ComposeBuild build) => Options with
    {
        ContextDirectory = build.Context,
        Dockerfile = build.Dockerfile,
        TargetStage = build.Target,
        BuildArgs = Options.BuildArgs.SetItems(build.Args),
    };
}
