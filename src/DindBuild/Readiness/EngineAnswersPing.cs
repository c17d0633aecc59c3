using DindBuild.Docker;

namespace DindBuild.Readiness;

/// <summary>The Engine API answers <c>GET /_ping</c> — a listening socket alone is not enough.</summary>
internal sealed class EngineAnswersPing(IDockerEngine engine) : IReadinessCondition
{
    private static readonly TimeSpan PerPingTimeout = TimeSpan.FromSeconds(2);

    public string Description => $"the Engine API at {engine.Endpoint} to answer /_ping";

    public async Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PerPingTimeout);
        try
        {
            await engine.System.PingAsync(timeout.Token).ConfigureAwait(false);
            return ReadinessCheck.Ready;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ReadinessCheck.NotYet($"/_ping did not answer within {PerPingTimeout.TotalSeconds:0} s");
        }
    }
}
