using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Engine log lines go to the running test's output, so a failing test shows what the engine did.</summary>
internal sealed class TestOutputSink : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        var line = $"[{logEvent.Timestamp:HH:mm:ss.fff} {logEvent.Level.ToString()[..3].ToUpperInvariant()}] {logEvent.RenderMessage(CultureInfo.InvariantCulture)}";
        if (logEvent.Exception is not null)
        {
            line += Environment.NewLine + logEvent.Exception;
        }

        try
        {
            TestContext.Current.TestOutputHelper?.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // Outside a running test (fixture set-up): nowhere to write.
        }
    }
}
