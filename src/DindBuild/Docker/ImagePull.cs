namespace DindBuild.Docker;

/// <summary><c>docker pull</c> that may fail: on a machine without a registry the failure is the expected answer.</summary>
internal static class ImagePull
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>Null when the image was pulled, else why not (the registry's error, or no answer within <see cref="Timeout"/>).</summary>
    public static async Task<string?> TryAsync(IDockerEngine engine, string image, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await engine.Images.PullAsync(image, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {Timeout.TotalMinutes:0} minutes";
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
