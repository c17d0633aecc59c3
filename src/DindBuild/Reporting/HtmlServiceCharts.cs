using System.Text;

namespace DindBuild.Reporting;

/// <summary>The per-service chart of a compose run: one line per service, on the same time axis as the timeline.</summary>
internal static partial class HtmlRunReport
{
    /// <summary>Line colours by service order, fixed so that a rendering can be checked by its pixels; the palette repeats past eight services.</summary>
    public static readonly IReadOnlyList<string> ServiceColours = ["#ef6c00", "#00838f", "#ad1457", "#558b2f", "#4527a0", "#6d4c41", "#f9a825", "#37474f"];

    private const int LegendRowHeight = 18;

    private static void AppendServiceResources(StringBuilder html, RunReport report)
    {
        // A saved session's history is read back from disk: a service without samples has nothing to draw.
        var services = report.History.ServiceSamples.Where(service => service.Samples.Count > 0).ToList();
        if (services.Count == 0)
        {
            return;
        }

        html.Append("<h2>Resources per compose service (docker stats)</h2>\n");
        var start = report.Started;
        var lastSample = services.Max(service => service.Samples[^1].At);
        var span = Math.Max(Math.Max(report.Span.TotalSeconds, (lastSample - start).TotalSeconds), 0.001);
        var cpuMax = NiceCeiling(Math.Max(services.Max(service => service.Samples.Max(sample => sample.CpuPercent)), 10));
        var memoryMax = NiceCeiling(Math.Max(services.Max(service => service.Samples.Max(sample => sample.MemoryBytes)) / 1048576.0, 1));
        var legendTop = 2 * (ChartHeight + 40);
        var height = legendTop + services.Count * LegendRowHeight + 10;
        html.Append(Invariant, $"<svg id=\"service-resources\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" role=\"img\" aria-label=\"CPU and memory per compose service\">\n");
        AppendLineChart(html, "CPU %", services, sample => sample.CpuPercent, cpuMax, span, start, 0);
        AppendLineChart(html, "Memory MiB", services, sample => sample.MemoryBytes / 1048576.0, memoryMax, span, start, ChartHeight + 40);
        for (var i = 0; i < services.Count; i++)
        {
            var service = services[i];
            var y = legendTop + i * LegendRowHeight;
            html.Append(Invariant, $"<rect x=\"{LabelWidth}\" y=\"{y}\" width=\"24\" height=\"4\" fill=\"{ServiceColour(i)}\"/>")
                .Append(Invariant, $"<text x=\"{LabelWidth + 32}\" y=\"{y + 6}\">{Escape(service.Service)}: {service.Samples.Count} samples, peak CPU {service.Samples.Max(s => s.CpuPercent):0} %, peak memory {service.Samples.Max(s => s.MemoryBytes) / 1048576.0:0.0} MiB</text>\n");
        }

        html.Append("</svg>\n");
    }

    private static string ServiceColour(int index) => ServiceColours[index % ServiceColours.Count];

    private static void AppendLineChart(StringBuilder html, string title, IReadOnlyList<ServiceSamples> services, Func<Docker.ResourceSample, double> value, double max, double span, DateTimeOffset start, int top)
    {
        var (plot, baseline, X, Y) = AppendChartFrame(html, title, max, span, top);
        for (var i = 0; i < services.Count; i++)
        {
            // Steps, as docker stats reports them: each sample holds until the next.
            var samples = services[i].Samples;
            var line = new StringBuilder();
            for (var j = 0; j < samples.Count; j++)
            {
                var at = (samples[j].At - start).TotalSeconds;
                var until = j + 1 < samples.Count ? (samples[j + 1].At - start).TotalSeconds : at + Math.Max(span / 100, 0.5);
                var y = Y(value(samples[j]));
                line.Append(Invariant, $"{X(at):0.0},{y:0.0} {X(until):0.0},{y:0.0} ");
            }

            html.Append(Invariant, $"<polyline points=\"{line.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{ServiceColour(i)}\" stroke-width=\"3\" stroke-linejoin=\"round\"><title>{Escape(services[i].Service)}</title></polyline>\n");
        }

        AppendTimeAxis(html, span, baseline, plot);
    }
}
