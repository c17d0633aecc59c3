using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Engine log lines go to the running test's output, so a failing test shows what the engine did.</summary>
internal sealed class TestOutputSink : ILogEventSink
{
    private static readonly MessageTemplateTextFormatter Formatter =
        new("[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}{Exception}", CultureInfo.InvariantCulture);

    public void Emit(LogEvent logEvent)
    {
        using var line = new StringWriter(CultureInfo.InvariantCulture);
        Formatter.Format(logEvent, line);
        try
        {
            TestContext.Current.TestOutputHelper?.Write(line.ToString());
        }
        catch (InvalidOperationException)
        {
            // Outside a running test (fixture set-up): nowhere to write.
        }
    }
}
