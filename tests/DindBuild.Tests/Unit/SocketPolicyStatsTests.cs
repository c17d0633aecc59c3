using System.Collections.Concurrent;
using System.Globalization;
using DindBuild.SocketPolicy;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace DindBuild.Tests.Unit;

/// <summary>Refusals are hostile input too: a test refused in a loop gets a handful of log lines, and every refusal is still counted per rule.</summary>
public sealed class SocketPolicyStatsTests
{
    [Fact]
    public void A_hundred_thousand_refusals_log_twenty_in_full_then_one_line_per_power_of_ten_and_are_all_counted_per_rule()
    {
        var sink = new Events();
        var stats = new SocketPolicyStats(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger());

        for (var i = 0; i < 100_000; i++)
        {
            stats.Refused("POST /containers/x/exec", i % 10_000 == 0
                ? new PolicyRefusedException("HostConfig.Privileged: privileged containers are not allowed")
                : new PolicyRefusedException($"container 'x{i}' is not this session's", SessionObjects.Rule));
        }

        var lines = sink.Logged.ToList();
        Assert.Equal(SocketPolicyStats.Logged + 4, lines.Count);
        Assert.All(lines, line => Assert.Equal(LogEventLevel.Warning, line.Level));
        Assert.All(lines.Take(SocketPolicyStats.Logged), line => Assert.StartsWith("The socket policy refused \"POST /containers/x/exec\" from the tests:", line.RenderMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Equal(
            ["100", "1000", "10000", "100000"],
            lines.Skip(SocketPolicyStats.Logged).Select(line => line.Properties["Refused"].ToString()));
        Assert.Contains("by rule: ownership 99990, HostConfig.Privileged 10)", lines[^1].RenderMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);

        Assert.Equal(100_000, stats.RefusedCount);
        Assert.Equal(new Dictionary<string, int> { ["ownership"] = 99_990, ["HostConfig.Privileged"] = 10 }, stats.RefusedByRule);
        Assert.Equal("ownership 99990, HostConfig.Privileged 10", stats.Summary);
    }

    [Fact]
    public void Rule_names_made_up_by_the_tests_are_bounded()
    {
        var stats = new SocketPolicyStats(Logger.None);

        for (var i = 0; i < 1000; i++)
        {
            stats.Refused("POST /volumes/create", new PolicyRefusedException($"Field{i}: made up"));
        }

        Assert.Equal(33, stats.RefusedByRule.Count);
        Assert.Equal(1000 - 32, stats.RefusedByRule["other"]);
        Assert.Equal("Field0", PolicyRefusedException.RuleOf("Field0: made up"));
        Assert.Equal("HostConfig.PidMode", PolicyRefusedException.RuleOf("HostConfig.PidMode=host: the host's namespaces are not allowed"));
    }

    [Fact]
    public void Malformed_connections_are_capped_the_same_way()
    {
        var sink = new Events();
        var stats = new SocketPolicyStats(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger());

        for (var i = 0; i < 1000; i++)
        {
            stats.Malformed("a bare LF");
        }

        Assert.Equal(SocketPolicyStats.Logged + 2, sink.Logged.Count);
        Assert.Equal(1000, stats.MalformedCount);
    }

    private sealed class Events : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Logged { get; } = new();

        public void Emit(LogEvent logEvent) => Logged.Enqueue(logEvent);
    }
}
