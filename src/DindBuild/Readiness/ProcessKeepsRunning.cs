using DindBuild.IO;

namespace DindBuild.Readiness;

/// <summary>Fails the wait at once when a daemon process started on the host has died.</summary>
internal sealed class ProcessKeepsRunning(int processId, string name) : IReadinessCondition
{
    public string Description => $"{name} (pid {processId}) to keep running";

    public Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken)
    {
        // A zombie has exited too; it is only not yet reaped.
        var alive = ProcessStat.Read(processId) is { State: not 'Z' };
        return Task.FromResult(alive ? ReadinessCheck.Ready : ReadinessCheck.Failed($"{name} (pid {processId}) has exited"));
    }
}
