using DindBuild.Modes;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// StartDaemon: dind starts the private daemon in a container; dood and external open the
    /// session on the existing daemon. Once per session: a continued session is already started.
    /// </summary>
    public Task StartDaemonAsync(CancellationToken cancellationToken) => _opened ? Task.CompletedTask : StepAsync("StartDaemon", async () =>
    {
        await ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
        _log.Information("Session {Session} ({Mode} mode): resources are labelled {Label}={Session}", Id, DaemonModes.Name(Mode), SessionLabels.Session, Id);
        await QuickReapAsync(cancellationToken).ConfigureAwait(false);

        // Saved before anything is created: a later Teardown step must find a half-started session too.
        _opened = true;
        Save();
        await _mode.StartAsync(Id, _services.Owner, cancellationToken).ConfigureAwait(false);
        if (_mode.Record(_state).Daemon is { } daemon)
        {
            _steps.Facts = _steps.Facts with
            {
                PrivilegeProfile = daemon.Profile.ToString().ToLowerInvariant(),
                InnerUserns = daemon.InnerUserns ? "on (dockerd --userns-remap)" : $"off ({daemon.InnerUsernsOffReason ?? "not requested"})",
            };
        }

        Save();
        _sampler ??= _mode.StartSampling();
    });

    /// <summary>Reap: removes the sessions whose build process is gone from this mode's engine; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> ReapAsync(TimeSpan? olderThan, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> reaped = [];
        await StepAsync("Reap", async () =>
        {
            await ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
            reaped = await ReapOnModeEngineAsync(olderThan, cancellationToken).ConfigureAwait(false);
            _log.Information("Reaped {Count} session(s)", reaped.Count);
        }).ConfigureAwait(false);
        return reaped;
    }

    /// <summary>Before a new session starts: what killed runs left behind goes first. Never fails the run.</summary>
    private async Task QuickReapAsync(CancellationToken cancellationToken)
    {
        try
        {
            var reaped = await ReapOnModeEngineAsync(olderThan: null, cancellationToken).ConfigureAwait(false);
            if (reaped.Count > 0)
            {
                _log.Information("Reaped {Count} session(s) left behind by killed runs", reaped.Count);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.Warning("Could not reap sessions left behind by killed runs: {Reason}", ex.Message);
        }
    }

    private async Task<IReadOnlyList<string>> ReapOnModeEngineAsync(TimeSpan? olderThan, CancellationToken cancellationToken)
    {
        var reaped = await _mode.ReapAsync(olderThan, cancellationToken).ConfigureAwait(false);
        foreach (var sessionId in reaped)
        {
            _services.Listener.SessionRemoved(sessionId);
        }

        return reaped;
    }
}
