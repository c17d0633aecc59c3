using System.Globalization;
using Serilog;

namespace DindBuild.Diagnostics;

/// <summary>
/// Progress of long steps (provisioning, seeding, building, exporting). On a terminal, one line
/// redrawn in place; in a CI log, where a redrawn line becomes hundreds, a plain line every few seconds.
/// </summary>
internal sealed class ProgressReporter
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private ProgressReporter(ILogger log, TerminalLine? terminal, TimeSpan interval)
    {
        Log = log;
        Terminal = terminal;
        Interval = interval;
    }

    /// <summary>Where the animated line goes; null for plain log lines.</summary>
    internal TerminalLine? Terminal { get; }

    internal ILogger Log { get; }

    internal TimeSpan Interval { get; }

    /// <summary>Animated when standard output is a terminal and no CI system is detected (CI set).</summary>
    public static ProgressReporter ForConsole(ILogger log, Func<string, string?>? environment = null) =>
        !Console.IsOutputRedirected && string.IsNullOrEmpty((environment ?? Environment.GetEnvironmentVariable)("CI"))
            ? Animated(log, TerminalLine.Console, TerminalInterval)
            : Plain(log, LogInterval);

    public static ProgressReporter Plain(ILogger log, TimeSpan interval) => new(log, null, interval);

    public static ProgressReporter Animated(ILogger log, TerminalLine terminal, TimeSpan interval) => new(log, terminal, interval);

    /// <param name="activity">What runs, as a user would say it: "Seeding dindbuild/python:trixie".</param>
    /// <param name="bytesSoFar">For transfers: bytes moved so far, read at each report.</param>
    /// <param name="totalBytes">For transfers of a known (or estimated) size.</param>
    public ProgressActivity Start(string activity, Func<long>? bytesSoFar = null, long? totalBytes = null) => new(this, activity, bytesSoFar, totalBytes);

    internal static string Describe(string activity, TimeSpan elapsed, long? bytes, long? totalBytes, (int Number, int Count, string Text)? step)
    {
        var parts = new List<string>();
        if (step is { } s)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"step {s.Number} of {s.Count}{(s.Text.Length == 0 ? "" : $" ({s.Text})")}"));
        }

        if (bytes is { } moved)
        {
            var mib = moved / 1048576.0;
            var rate = mib / Math.Max(elapsed.TotalSeconds, 0.001);
            // A saved image's size is estimated from its unpacked size; past it, a percentage would mislead.
            parts.Add(totalBytes is > 0 and var total && moved < total
                ? string.Create(CultureInfo.InvariantCulture, $"{mib:0.0} of ~{total / 1048576.0:0.0} MiB ({Math.Min(100, 100.0 * moved / total):0} %), {rate:0.0} MiB/s")
                : string.Create(CultureInfo.InvariantCulture, $"{mib:0.0} MiB, {rate:0.0} MiB/s"));
        }

        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0} s"));
        return $"{activity}: {string.Join(", ", parts)}";
    }
}
