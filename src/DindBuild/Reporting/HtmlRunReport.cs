using System.Globalization;
using System.Net;
using System.Text;
using DindBuild.Sessions;
using DindBuild.Testing;

namespace DindBuild.Reporting;

/// <summary>
/// <c>dindbuild-report.html</c>: one self-contained page (inline CSS and SVG, no script, no external
/// asset) that opens from a CI artifact download as well as from disk.
/// </summary>
internal static partial class HtmlRunReport
{
    /// <summary>Fill colours, fixed so that a rendering can be checked by its pixels.</summary>
    public const string OkColour = "#2e7d32";
    public const string FailedColour = "#c62828";
    public const string OtherColour = "#757575";
    public const string CpuColour = "#1565c0";
    public const string MemoryColour = "#6a1b9a";

    private const int Width = 960;
    private const int LabelWidth = 170;
    private const int RightMargin = 80;
    private const int RowHeight = 24;
    private const int ChartHeight = 170;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(RunReport report)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
            .Append("<title>DindBuild run ").Append(Escape(report.SessionId)).Append("</title>\n")
            .Append("<style>\n")
            .Append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#212121;max-width:1000px}\n")
            .Append("h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #e0e0e0}\n")
            .Append("table.facts td{padding:2px 12px 2px 0;vertical-align:top}table.facts td:first-child{white-space:nowrap}table.facts td:first-child{color:#616161}\n")
            .Append(".ok{color:").Append(OkColour).Append("}.failed{color:").Append(FailedColour).Append("}\n")
            .Append("pre{background:#f5f5f5;padding:10px;overflow-x:auto;font-size:12px;white-space:pre-wrap}\n")
            .Append("svg text{font-family:inherit;font-size:12px;fill:#212121}\n")
            .Append("</style>\n</head>\n<body>\n");

        var verdict = report.Succeeded ? "<span class=\"ok\">succeeded</span>" : "<span class=\"failed\">failed</span>";
        html.Append("<h1>DindBuild run <code>").Append(Escape(report.SessionId)).Append("</code> ").Append(verdict).Append("</h1>\n");
        AppendFacts(html, report);

        html.Append("<h2>Timeline</h2>\n");
        AppendTimeline(html, report);

        html.Append("<h2>Tests</h2>\n");
        AppendTests(html, report.History.Tests);

        html.Append("<h2>Resources of the DinD container (docker stats)</h2>\n");
        AppendResources(html, report);
        AppendServiceResources(html, report);

        if (report.History.Failure is not null)
        {
            html.Append("<h2 class=\"failed\">Failure").Append(report.History.FailedStep is null ? "" : $" in {Escape(report.History.FailedStep)}").Append("</h2>\n<pre>")
                .Append(Escape(report.History.Failure)).Append("</pre>\n");
        }

        if (report.History.DaemonLogTail is not null)
        {
            html.Append("<h3>Daemon log (last lines)</h3>\n<pre>").Append(Escape(report.History.DaemonLogTail)).Append("</pre>\n");
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Control characters and bidi overrides (from a container's log tail, say) escaped as on the console, then HTML-encoded; newlines kept for <c>pre</c>.</summary>
    public static string Escape(string text) => WebUtility.HtmlEncode(Diagnostics.SafeText.Lines(text));

    private static void AppendFacts(StringBuilder html, RunReport report)
    {
        html.Append("<table class=\"facts\">\n");
        foreach (var (name, value) in RunReportFacts.Of(report))
        {
            html.Append("<tr><td>").Append(Escape(name)).Append("</td><td>").Append(Escape(value)).Append("</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static void AppendTimeline(StringBuilder html, RunReport report)
    {
        if (report.Steps.Count == 0)
        {
            html.Append("<p>No step ran.</p>\n");
            return;
        }

        var span = Math.Max(report.Span.TotalSeconds, 0.001);
        var plot = Width - LabelWidth - RightMargin;
        var height = report.Steps.Count * RowHeight + 30;
        html.Append(CultureInfo.InvariantCulture, $"<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" role=\"img\" aria-label=\"step timeline\">\n");
        for (var row = 0; row < report.Steps.Count; row++)
        {
            var step = report.Steps[row];
            var y = row * RowHeight;
            var x = LabelWidth + step.Start.TotalSeconds / span * plot;
            var barWidth = Math.Max(step.Duration.TotalSeconds / span * plot, 2);
            var colour = step.Outcome == StepTiming.Ok ? OkColour : step.Outcome == "cancelled" ? OtherColour : FailedColour;
            html.Append(Invariant, $"<text x=\"0\" y=\"{y + 16}\">{Escape(step.Step)}</text>")
                .Append(Invariant, $"<rect x=\"{x:0.0}\" y=\"{y + 4}\" width=\"{barWidth:0.0}\" height=\"16\" fill=\"{colour}\"><title>{Escape(step.Step)}: {step.Duration.TotalSeconds:0.000} s, {Escape(step.Outcome)}</title></rect>")
                .Append(Invariant, $"<text x=\"{x + barWidth + 6:0.0}\" y=\"{y + 16}\">{step.Duration.TotalSeconds:0.00} s{(step.Outcome == StepTiming.Ok ? "" : " " + Escape(step.Outcome))}</text>\n");
        }

        AppendTimeAxis(html, span, report.Steps.Count * RowHeight + 4, plot);
        html.Append("</svg>\n");
    }

    private static void AppendTimeAxis(StringBuilder html, double seconds, int y, int plot)
    {
        html.Append(Invariant, $"<line x1=\"{LabelWidth}\" y1=\"{y}\" x2=\"{LabelWidth + plot}\" y2=\"{y}\" stroke=\"#9e9e9e\"/>");
        var tick = NiceStep(seconds, 10);
        for (var t = 0.0; t <= seconds + tick / 1000; t += tick)
        {
            var x = LabelWidth + t / seconds * plot;
            html.Append(Invariant, $"<line x1=\"{x:0.0}\" y1=\"{y}\" x2=\"{x:0.0}\" y2=\"{y + 5}\" stroke=\"#9e9e9e\"/><text x=\"{x - 8:0.0}\" y=\"{y + 18}\">{t:0.##} s</text>");
        }

        html.Append('\n');
    }

    private static void AppendTests(StringBuilder html, TestReportSummary? tests)
    {
        if (tests is null)
        {
            html.Append("<p>No JUnit or TRX report among the exported artifacts.</p>\n");
            return;
        }

        html.Append(Invariant, $"<p><span class=\"ok\">{tests.Passed} passed</span>, <span class=\"{(tests.Failed > 0 ? "failed" : "ok")}\">{tests.Failed} failed</span>, {tests.Skipped} skipped")
            .Append(" (from ").Append(Escape(string.Join(", ", tests.Files))).Append(")</p>\n");
        if (tests.FailingTests.Count > 0)
        {
            html.Append("<ul class=\"failed\">\n");
            foreach (var name in tests.FailingTests)
            {
                html.Append("<li><code>").Append(Escape(name)).Append("</code></li>\n");
            }

            html.Append("</ul>\n");
        }
    }

    private static void AppendResources(StringBuilder html, RunReport report)
    {
        if (report.History.Samples.Count == 0)
        {
            html.Append("<p>No samples").Append(report.SamplesNote is null ? "." : $": {Escape(report.SamplesNote)}.").Append("</p>\n");
            return;
        }

        var start = report.Started;
        var span = Math.Max(Math.Max(report.Span.TotalSeconds, (report.History.Samples[^1].At - start).TotalSeconds), 0.001);
        var points = report.History.Samples.Select(sample => ((sample.At - start).TotalSeconds, sample.CpuPercent, sample.MemoryBytes / 1048576.0)).ToList();
        var cpuMax = NiceCeiling(Math.Max(points.Max(p => p.CpuPercent), 10));
        var memoryMax = NiceCeiling(Math.Max(points.Max(p => p.Item3), 1));
        html.Append(Invariant, $"<p>{report.History.Samples.Count} samples; peak CPU {points.Max(p => p.CpuPercent):0} % (100 % = one CPU), peak memory {points.Max(p => p.Item3):0.0} MiB.</p>\n");
        var height = 2 * (ChartHeight + 30) + 10;
        html.Append(Invariant, $"<svg id=\"resources\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" role=\"img\" aria-label=\"CPU and memory of the DinD container\">\n");
        AppendAreaChart(html, "CPU %", points.Select(p => (p.TotalSeconds, p.CpuPercent)).ToList(), cpuMax, span, 0, CpuColour);
        AppendAreaChart(html, "Memory MiB", points.Select(p => (p.TotalSeconds, p.Item3)).ToList(), memoryMax, span, ChartHeight + 40, MemoryColour);
        html.Append("</svg>\n");
    }

    private static void AppendAreaChart(StringBuilder html, string title, IReadOnlyList<(double Seconds, double Value)> points, double max, double span, int top, string colour)
    {
        var (plot, baseline, X, Y) = AppendChartFrame(html, title, max, span, top);

        // A step-shaped area: each sample holds until the next, as docker stats reports it.
        var outline = new StringBuilder();
        outline.Append(Invariant, $"{X(points[0].Seconds):0.0},{baseline} ");
        for (var i = 0; i < points.Count; i++)
        {
            var until = i + 1 < points.Count ? points[i + 1].Seconds : points[i].Seconds + Math.Max(span / 100, 0.5);
            outline.Append(Invariant, $"{X(points[i].Seconds):0.0},{Y(points[i].Value):0.0} {X(until):0.0},{Y(points[i].Value):0.0} ");
        }

        var end = points[^1].Seconds + Math.Max(span / 100, 0.5);
        outline.Append(Invariant, $"{X(end):0.0},{baseline}");
        // The outline is stroked too: an idle daemon (0 % CPU for the whole run) still draws a visible line.
        html.Append(Invariant, $"<polygon points=\"{outline}\" fill=\"{colour}\" stroke=\"{colour}\" stroke-width=\"3\" stroke-linejoin=\"round\"/>\n");
        AppendTimeAxis(html, span, baseline, plot);
    }

    /// <summary>A chart's title, its value scale and axis; returns its plot width, baseline and the seconds→x and value→y mappings.</summary>
    private static (int Plot, int Baseline, Func<double, double> X, Func<double, double> Y) AppendChartFrame(StringBuilder html, string title, double max, double span, int top)
    {
        var plot = Width - LabelWidth - RightMargin;
        var baseline = top + ChartHeight;
        html.Append(Invariant, $"<text x=\"0\" y=\"{top + 16}\">{Escape(title)}</text>")
            .Append(Invariant, $"<text x=\"{LabelWidth - 40}\" y=\"{top + 14}\">{max:0.#}</text><text x=\"{LabelWidth - 20}\" y=\"{baseline}\">0</text>")
            .Append(Invariant, $"<line x1=\"{LabelWidth}\" y1=\"{top + 10}\" x2=\"{LabelWidth}\" y2=\"{baseline}\" stroke=\"#9e9e9e\"/>");
        return (plot, baseline, seconds => LabelWidth + Math.Clamp(seconds / span, 0, 1) * plot, value => baseline - Math.Clamp(value / max, 0, 1) * (ChartHeight - 10));
    }

    /// <summary>A tick step from 1, 2, 5 × 10ⁿ giving at most <paramref name="maxTicks"/> ticks.</summary>
    private static double NiceStep(double range, int maxTicks)
    {
        var raw = range / maxTicks;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        return new[] { 1.0, 2, 5, 10 }.Select(factor => factor * magnitude).First(step => step >= raw);
    }

    private static double NiceCeiling(double value) => NiceStep(value, 1);
}
