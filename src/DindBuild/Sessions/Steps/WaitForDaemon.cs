using DindBuild.Modes;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>WaitForDaemon: the session daemon answers <c>/_ping</c> with a supported API; fails at once, with its log, if a DinD container exits.</summary>
    public Task WaitForDaemonAsync(CancellationToken cancellationToken) => StepAsync("WaitForDaemon", async () =>
    {
        RequireOpen("WaitForDaemon");
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var version = await EngineConnector.RequireSupportedAsync(daemon, "session daemon", cancellationToken).ConfigureAwait(false);
        var info = await daemon.System.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        _steps.Facts = _steps.Facts with { DaemonVersion = $"Docker {version.Version} (API {version.ApiVersion})", StorageDriver = info.StorageDriver };
        _log.Information(
            "Session daemon ({Mode}) at {Endpoint}: {Version}, ID {Id}, storage driver {Driver}, cgroup v{Cgroup}",
            DaemonModes.Name(Mode),
            daemon.Endpoint,
            version,
            info.Id,
            info.StorageDriver,
            info.CgroupVersion);
        foreach (var (name, value) in ClientEnvironment())
        {
            _log.Information("  {Name}={Value}", name, value);
        }
    });
}
