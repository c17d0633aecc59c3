using DindBuild.Diagnostics;
using DindBuild.Reporting;
using DindBuild.Testing;
using DindBuild.Tests.Infrastructure;
using Serilog;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Every channel a container's text reaches — console lines, CI workflow commands, error messages, the progress
/// line, failing-test names — shows it on one line, without control characters, and never as a workflow command.
/// </summary>
public sealed class OutputEscapingTests
{
    private const string Forged = SafeTextTests.ForgedName;

    [Fact]
    public void A_console_line_with_a_forged_name_stays_one_line_and_is_not_a_workflow_command()
    {
        var console = new StringWriter();
        using (var log = ConsoleLogger(console, new SecretMasker()))
        {
            log.Warning("artifacts │ {Warning}", $"Refused artifact entry '{Forged}': its symlink target '/etc/passwd' is absolute.");
            log.Information("test │ {Line}", "##[warning]forged legacy command\u001b[1A\u001b[2K");
            log.Information("build │ {Line}", "::warning title=forged::pwned");
        }

        var lines = Lines(console);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.StartsWith("[", line, StringComparison.Ordinal));
        AssertNoForgery(lines);
        Assert.Contains("Tests passed\\r\\n::warning title=forged", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("build │ \\x3A:warning title=forged::pwned", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Structured_values_are_escaped_too()
    {
        var console = new StringWriter();
        using (var log = ConsoleLogger(console, new SecretMasker()))
        {
            log.Information("names {Names} and {@Entry}", new[] { "a\nb", "::warning::c" }, new { Name = "d\r\u2028e" });
        }

        var lines = Lines(console);
        Assert.Single(lines);
        AssertNoForgery(lines);
    }

    [Fact]
    public void A_logged_exception_keeps_its_lines_but_each_is_escaped()
    {
        var console = new StringWriter();
        using (var log = ConsoleLogger(console, new SecretMasker()))
        {
            log.Error(new InvalidOperationException("boom\n::warning title=forged::x\r[12:00:00 INF] Tests passed"), "export failed");
        }

        var lines = Lines(console);
        Assert.Equal("export failed", lines[0][(lines[0].IndexOf(']', StringComparison.Ordinal) + 2)..]);
        Assert.Contains(lines, line => line.StartsWith("System.InvalidOperationException: boom", StringComparison.Ordinal));
        AssertNoForgery(lines);
    }

    [Fact]
    public void Secrets_are_still_masked_in_a_line_that_is_also_escaped()
    {
        var masker = new SecretMasker();
        masker.Add("s3cr3t-4711");
        var console = new StringWriter();
        using (var log = ConsoleLogger(console, masker))
        {
            log.Information("test │ {Line}", "token=s3cr3t-4711\n::warning::x");
        }

        var text = console.ToString();
        Assert.Contains("test │ token=***\\n::warning::x", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-4711", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_GitHub_annotation_naming_a_forged_test_is_one_command_on_one_line()
    {
        var console = new StringWriter();
        var github = new GitHubActionsOutput(console, summaryFile: null);

        github.Failure("Test failed", Forged);
        github.Failure("DindBuild: " + Forged, "x");
        github.BeginStep("Run\nTests");

        var lines = Lines(console);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("::error title=Test failed::x%0A[12:00:00 INF] Tests passed%0A\\x3A:warning title=forged::pwned\\x1B[2K\\u2028\\u2029end", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("::error title=DindBuild%3A x\\n[12%3A00%3A00 INF] Tests passed\\r\\n", lines[1], StringComparison.Ordinal);
        Assert.Equal("::group::Run\\nTests", lines[2]);
        Assert.DoesNotContain(lines, line => line.StartsWith("::warning", StringComparison.Ordinal));
        Assert.DoesNotContain(console.ToString(), c => c is '\u001b' or '\u2028' or '\u2029');
    }

    [Fact]
    public void A_GitLab_section_header_is_escaped_and_its_name_restricted()
    {
        var console = new StringWriter();

        new GitLabCiOutput(console, () => DateTimeOffset.FromUnixTimeSeconds(1)).BeginStep("Step\n::warning::x\u001b[2K");

        var line = Assert.Single(console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("\u001b[0Ksection_start:1:dindbuild_step___warning__x__2k\r\u001b[0KStep\\n::warning::x\\x1B[2K", line);
    }

    [Fact]
    public void An_error_message_quoting_a_container_cannot_forge_a_line_or_a_workflow_command()
    {
        var failure = new DindBuildException(
            FailureKind.TestsFailed,
            $"Copying '{Forged}' failed.",
            "test output (last lines):\n::warning title=forged::x\n##[error]legacy\r\u001b[2K",
            "fix\nit");

        var lines = failure.Message.Split(Environment.NewLine);
        Assert.StartsWith("Copying 'x\\n[12:00:00 INF] Tests passed\\r\\n::warning", lines[0], StringComparison.Ordinal);
        Assert.Equal(["Evidence:", "  test output (last lines):", "  \\x3A:warning title=forged::x", "  ##\\x5Berror]legacy\\r\\x1B[2K", "How to fix: fix\\nit"], lines[1..]);
        Assert.DoesNotContain('\n', failure.WhatFailed);
        AssertNoForgery(lines);
    }

    [Fact]
    public void The_progress_line_is_drawn_escaped()
    {
        var terminal = new StringWriter();

        new TerminalLine(terminal).Draw("Building: step 2 of 3 (RUN echo \u001b[2J\nforged)");

        Assert.Equal("\r\u001b[2KBuilding: step 2 of 3 (RUN echo \\x1B[2J\\nforged)", terminal.ToString());
    }

    [Fact]
    public void Failing_test_names_from_a_report_are_kept_escaped()
    {
        using var artifacts = new TempDirectory();
        File.WriteAllText(artifacts.Combine("junit.xml"), """
            <testsuite><testcase classname="tests" name="t&#10;::warning title=forged::x&#13;&#x2028;"><failure/></testcase></testsuite>
            """);

        var results = TestReportSummary.FromDirectory(artifacts.Path);

        Assert.NotNull(results);
        Assert.Equal(["tests.t\\n::warning title=forged::x\\r\\u2028"], results.FailingTests);
    }

    [Fact]
    public void The_reports_show_a_daemon_log_tail_escaped_line_by_line()
    {
        var report = RunReportTests.SampleReport(history => history with { DaemonLogTail = "level=info\n\u001b[2Kcleared \u202Eevil\r\nlast" });

        var markdown = MarkdownRunReport.Render(report);
        var html = HtmlRunReport.Render(report);

        Assert.Contains("level=info\n\\x1B[2Kcleared \\u202Eevil\nlast\n```", markdown, StringComparison.Ordinal);
        Assert.Contains("\\x1B[2Kcleared \\u202Eevil", html, StringComparison.Ordinal);
        Assert.DoesNotContain(markdown + html, c => c is '\u001b' or '\u202e' or '\r');
    }

    /// <summary>Neither a forged log line, nor a workflow command GitHub's runner would run, nor a raw control character.</summary>
    private static void AssertNoForgery(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            Assert.False(line.TrimStart().StartsWith("::", StringComparison.Ordinal), $"a workflow command: {line}");
            Assert.DoesNotContain("##[", line, StringComparison.Ordinal);
            Assert.False(line.StartsWith("[12:00:00 INF] Tests passed", StringComparison.Ordinal), $"a forged line: {line}");
            Assert.DoesNotContain(line, SafeText.IsUnsafe);
        }
    }

    private static string[] Lines(StringWriter console) =>
        console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The console pipeline of <see cref="DindLogging"/> (masking, escaping, its template), writing to <paramref name="console"/>.</summary>
    private static Serilog.Core.Logger ConsoleLogger(TextWriter console, SecretMasker masker)
    {
        return new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.With(new SecretMaskingEnricher(masker))
            .WriteTo.Sink(new EscapingSink(new TemplateSink(console)))
            .CreateLogger();
    }

    private sealed class TemplateSink(TextWriter writer) : Serilog.Core.ILogEventSink
    {
        private readonly Serilog.Formatting.Display.MessageTemplateTextFormatter _formatter = new(DindLogging.ConsoleTemplate, System.Globalization.CultureInfo.InvariantCulture);

        public void Emit(Serilog.Events.LogEvent logEvent) => _formatter.Format(logEvent, writer);
    }
}
