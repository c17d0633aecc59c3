using System.Xml.Linq;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Reporting;
using DindBuild.Testing;

namespace DindBuild.Tests.Unit;

public sealed class RunReportTests
{
    private static readonly DateTimeOffset Started = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_html_report_is_one_self_contained_page_with_a_bar_per_step_and_a_chart_per_measure()
    {
        var html = HtmlRunReport.Render(SampleReport());
        var document = XDocument.Parse(html.Replace("<!DOCTYPE html>", "", StringComparison.Ordinal));
        XNamespace svg = "http://www.w3.org/2000/svg";

        var timeline = document.Descendants(svg + "svg").Single(element => (string?)element.Attribute("id") == "timeline");
        Assert.Equal(3, timeline.Descendants(svg + "rect").Count());
        Assert.Equal(HtmlRunReport.FailedColour, (string?)timeline.Descendants(svg + "rect").Last().Attribute("fill"));
        var resources = document.Descendants(svg + "svg").Single(element => (string?)element.Attribute("id") == "resources");
        Assert.Equal([HtmlRunReport.CpuColour, HtmlRunReport.MemoryColour], resources.Descendants(svg + "polygon").Select(p => (string?)p.Attribute("fill")));
        // Stroked as well as filled, so a chart of idle samples (all 0 %) is still a visible line, not an empty plot.
        Assert.Equal([HtmlRunReport.CpuColour, HtmlRunReport.MemoryColour], resources.Descendants(svg + "polygon").Select(p => (string?)p.Attribute("stroke")));
        Assert.Contains("StartDaemon", html, StringComparison.Ordinal);
        Assert.Contains("capabilities", html, StringComparison.Ordinal);
        Assert.Contains("overlay2", html, StringComparison.Ordinal);
        Assert.Contains("1 passed", html, StringComparison.Ordinal);
        Assert.Contains("tests.test_calc.test_div", html, StringComparison.Ordinal);
        Assert.Contains("dockerd: level=info", html, StringComparison.Ordinal);

        // Self-contained: nothing is fetched when the page opens.
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Text_from_the_run_is_escaped_in_the_html_report()
    {
        var report = SampleReport(history => history with { Failure = "<img src=x onerror=alert(1)> & more" });

        var html = HtmlRunReport.Render(report);

        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; &amp; more", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_samples_the_report_says_why_instead_of_drawing_an_empty_chart()
    {
        var report = SampleReport(history => history with { Samples = [] }) with { SamplesNote = "dood mode has no DinD container" };

        var html = HtmlRunReport.Render(report);
        var markdown = MarkdownRunReport.Render(report);

        Assert.DoesNotContain("id=\"resources\"", html, StringComparison.Ordinal);
        Assert.Contains("No samples: dood mode has no DinD container.", html, StringComparison.Ordinal);
        Assert.Contains("No samples: dood mode has no DinD container.", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void The_markdown_report_has_a_row_per_step_the_failing_tests_and_a_fence_that_log_text_cannot_close()
    {
        var report = SampleReport(history => history with { Failure = "The tests failed\n```\nescaped" });

        var markdown = MarkdownRunReport.Render(report);
        var lines = markdown.Split('\n');

        Assert.StartsWith("## DindBuild run `s1`: ❌ failed", markdown, StringComparison.Ordinal);
        Assert.Contains(lines, line => line.StartsWith("| StartDaemon | 0.00 s | 1.50 s | ok |", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("| RunTests | 2.00 s | 3.00 s | **TestsFailed** |", StringComparison.Ordinal));
        Assert.Contains("- ❌ `tests.test_calc.test_div`", lines);
        Assert.Equal(4, lines.Count(line => line == "```text" || line == "```"));
    }

    [Fact]
    public void Succeeded_needs_every_step_ok_and_no_failure()
    {
        var passing = SampleReport(history => history with { Failure = null, Steps = [Step("A", 0, 1, StepTiming.Ok)] });

        Assert.True(passing.Succeeded);
        Assert.False(SampleReport(history => history with { Failure = null, Steps = [Step("A", 0, 1, "cancelled")] }).Succeeded);
        Assert.False(SampleReport().Succeeded);
        Assert.Equal(TimeSpan.FromSeconds(5), SampleReport().Span);
    }

    /// <param name="change">What this test changes in the sample's history.</param>
    internal static RunReport SampleReport(Func<RunHistory, RunHistory>? change = null) => new("s1", "dind", (change ?? (history => history))(SampleHistory))
    {
        ImageTag = "dindbuild-sample:latest",
        ImageId = "sha256:abc",
        ImageSizeBytes = 250 * 1048576L,
    };

    private static RunHistory SampleHistory => new()
    {
        Started = Started,
        PrivilegeProfile = "capabilities",
        DaemonVersion = "Docker 26.1.5 (API 1.45)",
        StorageDriver = "overlay2",
        Steps =
        [
            Step("StartDaemon", 0, 1.5, StepTiming.Ok),
            Step("BuildImage", 1.5, 0.5, StepTiming.Ok),
            Step("RunTests", 2, 3, "TestsFailed"),
        ],
        Samples = [.. Enumerable.Range(1, 5).Select(second => new ResourceSample(Started.AddSeconds(second), 20.0 * second, second * 50 * 1048576L, 0))],
        Tests = new TestReportSummary(1, 1, 0, ["tests.test_calc.test_div"], ["junit.xml"]),
        Failure = "The tests failed: the test container exited with code 1.",
        FailedStep = "RunTests",
        DaemonLogTail = "dockerd: level=info msg=\"API listen on /run/dindbuild/docker.sock\"",
    };

    private static RecordedStep Step(string name, double startSeconds, double seconds, string outcome) =>
        new(name, Started.AddSeconds(startSeconds), TimeSpan.FromSeconds(seconds), outcome);
}
