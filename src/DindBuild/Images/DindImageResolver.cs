using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Provisioning;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Images;

/// <summary>
/// Finds the image the DinD daemon runs in: present locally, else pulled, else — for the default
/// image only — DindBuild's own image built from Debian packages, where the host allows building
/// (<paramref name="recipes"/> given). With <paramref name="memoryDirectory"/>, a refused pull of the default image is
/// remembered there for a while (<see cref="PullRefusalMemory"/>) and not asked again meanwhile.
/// </summary>
internal sealed class DindImageResolver(IDockerEngine host, RootfsImageBuilder? recipes, ILogger log, string? memoryDirectory = null, TimeProvider? clock = null)
{
    public async Task<string> ResolveAsync(string requested, CancellationToken cancellationToken)
    {
        if (await host.Images.InspectAsync(requested, cancellationToken).ConfigureAwait(false) is not null)
        {
            return requested;
        }

        if (recipes is not null && ImageRecipe.ForImage(requested) is { } ownRecipe)
        {
            return await recipes.EnsureAsync(host, ownRecipe, cancellationToken).ConfigureAwait(false);
        }

        var memory = requested == DindSettings.DefaultDindImage && recipes is not null && memoryDirectory is not null ? new PullRefusalMemory(memoryDirectory, log) : null;
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        if (memory is not null && await memory.RefusedAsync(host, requested, now, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            log.Warning(
                "{Image} could not be pulled on this host engine at {When:HH:mm} UTC ({Reason}); using DindBuild's own DinD image {Fallback} without asking again until {Until:HH:mm} UTC (pulling or loading it by hand makes it used at once)",
                requested, refused.When, refused.Reason, ImageRecipe.Dind.ImageName, refused.When + PullRefusalMemory.Lifetime);
            return await recipes!.EnsureAsync(host, ImageRecipe.Dind, cancellationToken).ConfigureAwait(false);
        }

        var pullError = await ImagePull.TryAsync(host, requested, cancellationToken).ConfigureAwait(false);
        if (pullError is null)
        {
            log.Information("Pulled {Image}", requested);
            if (memory is not null)
            {
                await memory.ForgetAsync(host, cancellationToken).ConfigureAwait(false);
            }

            return requested;
        }

        if (requested != DindSettings.DefaultDindImage || recipes is null)
        {
            throw new DindBuildException(
                FailureKind.Infrastructure,
                $"The DinD image {requested} is not on the host engine and cannot be pulled.",
                $"docker pull {requested}: {pullError}",
                $"load it first ('docker load -i IMAGE.tar'), or leave out '--dind-image' to use {DindSettings.DefaultDindImage}, which DindBuild can build from Debian packages.");
        }

        log.Warning("{Image} is not on the host engine and cannot be pulled ({Reason}); using DindBuild's own DinD image {Fallback}, built from Debian packages", requested, pullError, ImageRecipe.Dind.ImageName);
        if (memory is not null)
        {
            await memory.RememberAsync(host, requested, pullError, now, cancellationToken).ConfigureAwait(false);
        }

        return await recipes.EnsureAsync(host, ImageRecipe.Dind, cancellationToken).ConfigureAwait(false);
    }
}
