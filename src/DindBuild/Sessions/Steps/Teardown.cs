namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// Teardown: removes everything labelled with the session from the engine that holds it (the mode
    /// says which), and its private directory; never stops a daemon DindBuild did not start. The
    /// session object keeps its state afterwards, so the report still names it and its facts.
    /// </summary>
    public Task TeardownAsync() => !IsOpen ? Task.CompletedTask : StepAsync("Teardown", async () =>
    {
        _teardownTried = true;
        await ComposeDownAsync().ConfigureAwait(false);
        await StopSamplingAsync().ConfigureAwait(false);
        _daemon = null;

        // A cancelled run ends as fast as it can: no build snapshot is saved (a CI job's grace period is seconds).
        if (_steps.Timings.Any(step => step.Outcome == "cancelled"))
        {
            Images.Snapshots.BuildDurations.Forget(Id);
        }

        // Not cancellable: teardown is what runs after a cancellation.
        var removed = await _mode.TeardownAsync(Id, CancellationToken.None).ConfigureAwait(false);
        _removed = true;
        _services.Listener.SessionRemoved(Id);
        _log.Information("Teardown removed {Count} resource(s) of session {Session}", removed, Id);
    });
}
