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
    private static readonly TimeSpan PullTimeout = TimeSpan.FromMinutes(5);

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

        var pullError = await TryPullAsync(requested, cancellationToken).ConfigureAwait(false);
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

    private async Task<string?> TryPullAsync(string image, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PullTimeout);
        try
        {
            await host.Images.PullAsync(image, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {PullTimeout.TotalMinutes:0} minutes";
        }
        catch (DockerOperationException ex)
        {
            return ex.EngineMessage;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ex.GetBaseException().Message;
        }
    }
}
