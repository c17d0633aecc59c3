using System.Runtime.InteropServices;
using Serilog;

namespace DindBuild.Hosting;

/// <summary>
/// Turns the first Ctrl+C or SIGTERM into a cancellation, so the running step stops and teardown
/// still runs; a second Ctrl+C exits at once. Build hosts (Cake among them) install no such handler.
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly ILogger _log;
    private int _signals;

    private ShutdownSignals(ILogger log)
    {
        _log = log;
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
    }

    public CancellationToken Token => _cancellation.Token;

    public static ShutdownSignals Install(ILogger log) => new(log);

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cancellation.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            context.Cancel = true;
            _log.Warning("{Signal} received: stopping the current step; teardown will still run (Ctrl+C again to exit at once)", context.Signal);
            _cancellation.Cancel();
            return;
        }

        _log.Warning("Second {Signal}: exiting without teardown; resources labelled with this session may remain", context.Signal);
        context.Cancel = false;
    }
}
