using DindBuild.Docker;

namespace DindBuild.Readiness;

/// <summary>Fails the wait at once when the daemon's container has exited: no point waiting out the timeout.</summary>
internal sealed class ContainerKeepsRunning(IDockerContainers containers, string containerId) : IReadinessCondition
{
    public string Description => $"container {containerId[..Math.Min(12, containerId.Length)]} to keep running";

    /// <summary>
    /// An inspect on the host engine each round would put a request on it every few milliseconds while a DinD daemon
    /// polls fast; a container that dies is still seen within this.
    /// </summary>
    public TimeSpan ReadyHoldsFor => TimeSpan.FromMilliseconds(200);

    public async Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken)
    {
        var status = await containers.InspectAsync(containerId, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            null => ReadinessCheck.Failed("the container no longer exists"),
            { Running: true } => ReadinessCheck.Ready,
            _ => ReadinessCheck.Failed($"the container is {status.Status} (exit code {status.ExitCode}{(status.Error is null ? "" : ", " + status.Error)}{(status.OomKilled ? ", killed for lack of memory" : "")})"),
        };
    }
}
