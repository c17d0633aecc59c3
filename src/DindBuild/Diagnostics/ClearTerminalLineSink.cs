using Serilog.Core;
using Serilog.Events;

namespace DindBuild.Diagnostics;

/// <summary>Console log output that first clears a progress line drawn on the same terminal.</summary>
internal sealed class ClearTerminalLineSink(TerminalLine line, ILogEventSink console) : ILogEventSink, IDisposable
{
    public void Emit(LogEvent logEvent)
    {
        line.Clear();
        console.Emit(logEvent);
    }

    public void Dispose() => (console as IDisposable)?.Dispose();
}
