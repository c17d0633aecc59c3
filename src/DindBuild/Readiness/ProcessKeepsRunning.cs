namespace DindBuild.Readiness;

/// <summary>Fails the wait at once when a daemon process started on the host has died.</summary>
public sealed class ProcessKeepsRunning(int processId, string name) : IReadinessCondition
{
    public string Description => $"{name} (pid {processId}) to keep running";

    public Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken)
    {
        // /proc/PID/stat's state field is 'Z' for a zombie that has exited but is not yet reaped.
        var stat = $"/proc/{processId}/stat";
        var state = File.Exists(stat) ? File.ReadAllText(stat).Split(") ").LastOrDefault() ?? "" : "";
        var alive = state.Length > 0 && !state.StartsWith('Z');
        return Task.FromResult(alive ? ReadinessCheck.Ready : ReadinessCheck.Failed($"{name} (pid {processId}) has exited"));
    }
}
