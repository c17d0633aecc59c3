using System.Text.Json;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

public sealed class ProgressAndLogTests
{
    [Fact]
    public async Task In_a_CI_log_progress_is_a_plain_line_now_and_then_with_bytes_and_rate()
    {
        var log = new CapturingLog(new SecretMasker());
        var moved = 0L;
        using (ProgressReporter.Plain(log.Logger, TimeSpan.FromMilliseconds(40)).Start("Seeding dindbuild/python:trixie", () => Interlocked.Read(ref moved), 100 * 1048576L))
        {
            Interlocked.Exchange(ref moved, 25 * 1048576L);
            await WaitUntilAsync(() => log.Text.Contains("25.0 of ~100.0 MiB (25 %)", StringComparison.Ordinal));
        }

        var lines = log.Text.Split('\n');
        Assert.All(lines, line => Assert.Matches(@"^… Seeding dindbuild/python:trixie: [0-9.]+ of ~100\.0 MiB \(\d+ %\), [0-9.]+ MiB/s, \d+ s$", line));
        Assert.DoesNotContain('\r', log.Text);
    }

    [Fact]
    public async Task On_a_terminal_progress_redraws_one_line_and_clears_it_when_done()
    {
        var terminal = new StringWriter();
        var log = new CapturingLog(new SecretMasker());
        using (var activity = ProgressReporter.Animated(log.Logger, new TerminalLine(TextWriter.Synchronized(terminal)), TimeSpan.FromMilliseconds(20)).Start("Building app:latest"))
        {
            activity.SetStep(3, 7, "RUN pip install -r requirements.txt");
            await WaitUntilAsync(() => terminal.ToString().Split('\r').Length > 3);
        }

        var text = terminal.ToString();
        Assert.DoesNotContain('\n', text);
        Assert.Contains("Building app:latest: step 3 of 7 (RUN pip install -r requirements.txt), 0 s", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\u001b[2K", text, StringComparison.Ordinal);
        Assert.Empty(log.Text);
    }

    [Fact]
    public void A_log_line_clears_a_drawn_progress_line_first_so_it_starts_at_the_left_margin()
    {
        var terminal = new StringWriter();
        var line = new TerminalLine(terminal);
        var log = new CapturingLog(new SecretMasker());
        var sink = new ClearTerminalLineSink(line, new WriterSink(terminal));

        line.Draw("⠋ Building app: step 1 of 3");
        sink.Emit(new Serilog.Events.LogEvent(DateTimeOffset.Now, Serilog.Events.LogEventLevel.Information, null, new Serilog.Parsing.MessageTemplateParser().Parse("build output"), []));
        sink.Emit(new Serilog.Events.LogEvent(DateTimeOffset.Now, Serilog.Events.LogEventLevel.Information, null, new Serilog.Parsing.MessageTemplateParser().Parse("more output"), []));

        Assert.Equal("\r\u001b[2K⠋ Building app: step 1 of 3\r\u001b[2Kbuild output" + Environment.NewLine + "more output" + Environment.NewLine, terminal.ToString());
        Assert.Empty(log.Text);
    }

    [Fact]
    public void The_json_lines_log_holds_one_compact_Serilog_event_per_line_with_secrets_masked()
    {
        using var directory = new TempDirectory();
        var file = directory.Combine("dindbuild-log.jsonl");
        var masker = new SecretMasker();
        masker.Add("s3cr3t-value");
        using (var logger = DindLogging.CreateConsoleLogger(masker: masker, jsonLogFile: file))
        {
            logger.Information("Pushing with {Token}", "s3cr3t-value");
            logger.Debug("A debug detail {Number}", 42);
        }

        var events = File.ReadAllLines(file).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal("Pushing with {Token}", events[0].GetProperty("@mt").GetString());
        Assert.True(events[0].TryGetProperty("@t", out _));
        Assert.Equal("Debug", events[1].GetProperty("@l").GetString());
        Assert.DoesNotContain("s3cr3t-value", File.ReadAllText(file), StringComparison.Ordinal);
    }

    [Fact]
    public void A_json_log_that_cannot_be_opened_is_skipped_not_fatal()
    {
        using var logger = DindLogging.CreateConsoleLogger(jsonLogFile: "/proc/dindbuild-cannot/log.jsonl");

        logger.Information("still logging");
    }

    [Theory]
    [InlineData(2_000_000_000L, 1_000_000_000L, 20_000_000_000L, 10_000_000_000L, 2u, 20.0)]
    [InlineData(1_000L, 1_000L, 20_000_000_000L, 10_000_000_000L, 2u, 0.0)]
    public void Cpu_percent_is_computed_as_docker_stats_does(long total, long previousTotal, long system, long previousSystem, uint cpus, double expected)
    {
        var stats = new global::Docker.DotNet.Models.ContainerStatsResponse
        {
            CPUStats = new() { CPUUsage = new() { TotalUsage = (ulong)total }, SystemUsage = (ulong)system, OnlineCPUs = cpus },
            PreCPUStats = new() { CPUUsage = new() { TotalUsage = (ulong)previousTotal }, SystemUsage = (ulong)previousSystem },
            MemoryStats = new() { Usage = 300, Limit = 1000, Stats = new Dictionary<string, ulong> { ["total_inactive_file"] = 100 } },
        };

        var sample = ResourceSample.From(stats);

        Assert.NotNull(sample);
        Assert.Equal(expected, sample.CpuPercent, precision: 6);
        Assert.Equal(200, sample.MemoryBytes);
        Assert.Equal(1000, sample.MemoryLimitBytes);
    }

    [Fact]
    public void The_first_sample_of_a_stream_has_nothing_to_compare_with_and_is_dropped()
    {
        var first = new global::Docker.DotNet.Models.ContainerStatsResponse
        {
            CPUStats = new() { CPUUsage = new() { TotalUsage = 5 }, SystemUsage = 10 },
            PreCPUStats = new() { CPUUsage = new() { TotalUsage = 0 }, SystemUsage = 0 },
            MemoryStats = new() { Usage = 1 },
        };

        Assert.Null(ResourceSample.From(first));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        Assert.True(condition(), "the condition never became true");
    }

    private sealed class WriterSink(TextWriter writer) : Serilog.Core.ILogEventSink
    {
        public void Emit(Serilog.Events.LogEvent logEvent) => writer.WriteLine(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
    }
}
