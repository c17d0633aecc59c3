using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace DindBuild.Benchmarks;

/// <summary>
/// A logger that writes nothing and counts the refused <c>--privileged</c> DinD containers a session logs
/// (DindDaemonStarter's fallback warning), and the same check on a build script's output: with
/// <c>--privilege auto</c>, a host engine that refused once must not be asked again (issue 17 item 3).
/// </summary>
internal sealed class PrivilegeRefusals : ILogEventSink
{
    /// <summary>The start of DindDaemonStarter's warning when the runtime refused a privileged DinD container.</summary>
    public const string Warning = "The runtime refused a --privileged DinD container";

    private int _count;

    public PrivilegeRefusals() => Log = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Sink(this).CreateLogger();

    public ILogger Log { get; }

    public int Count => Volatile.Read(ref _count);

    public static bool In(string output) => output.Contains(Warning, StringComparison.Ordinal);

    public void Emit(LogEvent logEvent)
    {
        if (logEvent.MessageTemplate.Text.StartsWith(Warning, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _count);
        }
    }
}
