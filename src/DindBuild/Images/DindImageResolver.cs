using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Provisioning;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Images;

/// <summary>
/// Finds the image the DinD daemon runs in: present locally, else pulled, else — for the default
/// image only — DindBuild's own image built from Debian packages, where the host allows building
/// (<paramref name="recipes"/> given).
/// </summary>
internal sealed class DindImageResolver(IDockerEngine host, RootfsImageBuilder? recipes, ILogger log)
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

        var pullError = await ImagePull.TryAsync(host, requested, cancellationToken).ConfigureAwait(false);
        if (pullError is null)
        {
            log.Information("Pulled {Image}", requested);
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
        return await recipes.EnsureAsync(host, ImageRecipe.Dind, cancellationToken).ConfigureAwait(false);
    }
}
