namespace DindBuild.Readiness;

/// <summary>The daemon created its unix socket: a cheap check that spares pings that cannot succeed.</summary>
internal sealed class SocketFileExists(string socketPath) : IReadinessCondition
{
    public string Description => $"the socket {socketPath} to appear";

    public Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(socketPath) ? ReadinessCheck.Ready : ReadinessCheck.NotYet($"{socketPath} does not exist yet"));
}
