using System.Globalization;
using System.Text;
using DindBuild.Sessions;

namespace DindBuild.Reporting;

/// <summary><c>dindbuild-report.md</c>, also what goes into a GitHub Actions step summary.</summary>
internal static class MarkdownRunReport
{
    private const int BarWidth = 30;

    public static string Render(RunReport report)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"## DindBuild run `{report.SessionId}`: {(report.Succeeded ? "✅ succeeded" : "❌ failed")}\n\n");
        md.Append("| | |\n|---|---|\n");
        foreach (var (name, value) in RunReportFacts.Of(report))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {name} | {Cell(value)} |\n");
        }

        md.Append("\n### Steps\n\n");
        if (report.Steps.Count == 0)
        {
            md.Append("No step ran.\n");
        }
        else
        {
            var span = Math.Max(report.Span.TotalSeconds, 0.001);
            md.Append("| Step | Start | Duration | Outcome | Timeline |\n|---|---:|---:|---|---|\n");
            foreach (var step in report.Steps)
            {
                var offset = (int)Math.Round(step.Start.TotalSeconds / span * BarWidth);
                var length = Math.Max(1, (int)Math.Round(step.Duration.TotalSeconds / span * BarWidth));
                var bar = new string('·', Math.Min(offset, BarWidth)) + new string('█', Math.Min(length, BarWidth - Math.Min(offset, BarWidth - 1)));
                md.Append(CultureInfo.InvariantCulture, $"| {step.Step} | {step.Start.TotalSeconds:0.00} s | {step.Duration.TotalSeconds:0.00} s | {(step.Outcome == StepTiming.Ok ? "ok" : "**" + step.Outcome + "**")} | `{bar}` |\n");
            }
        }

        md.Append("\n### Tests\n\n");
        if (report.History.Tests is { } tests)
        {
            md.Append(CultureInfo.InvariantCulture, $"{tests.Passed} passed, {tests.Failed} failed, {tests.Skipped} skipped (from {string.Join(", ", tests.Files.Select(f => $"`{f}`"))})\n");
            foreach (var name in tests.FailingTests)
            {
                md.Append(CultureInfo.InvariantCulture, $"- ❌ `{name}`\n");
            }
        }
        else
        {
            md.Append("No JUnit or TRX report among the exported artifacts.\n");
        }

        md.Append("\n### Resources of the DinD container\n\n");
        md.Append(report.History.Samples.Count == 0
            ? $"No samples{(report.SamplesNote is null ? "" : ": " + report.SamplesNote)}.\n"
            : string.Create(CultureInfo.InvariantCulture, $"{report.History.Samples.Count} `docker stats` samples: peak CPU {report.History.Samples.Max(s => s.CpuPercent):0} % (100 % = one CPU), peak memory {report.History.Samples.Max(s => s.MemoryBytes) / 1048576.0:0.0} MiB. The chart is in `dindbuild-report.html`.\n"));

        if (report.History.ServiceSamples.Any(service => service.Samples.Count > 0))
        {
            md.Append("\n### Resources per compose service\n\n| service | samples | peak CPU | peak memory |\n|---|---|---|---|\n");
            foreach (var service in report.History.ServiceSamples.Where(service => service.Samples.Count > 0))
            {
                md.Append(CultureInfo.InvariantCulture, $"| {Cell(service.Service)} | {service.Samples.Count} | {service.Samples.Max(s => s.CpuPercent):0} % | {service.Samples.Max(s => s.MemoryBytes) / 1048576.0:0.0} MiB |\n");
            }
        }

        if (report.History.Failure is not null)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n### Failure{(report.History.FailedStep is null ? "" : " in " + report.History.FailedStep)}\n\n```text\n{Fence(report.History.Failure)}\n```\n");
        }

        if (report.History.DaemonLogTail is not null)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n<details><summary>Daemon log (last lines)</summary>\n\n```text\n{Fence(report.History.DaemonLogTail)}\n```\n</details>\n");
        }

        return md.ToString();
    }

    private static string Cell(string text) => Diagnostics.SafeText.Escape(text).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>Log text, escaped line by line as on the console, must not close the code fence it is shown in either.</summary>
    private static string Fence(string text) => Diagnostics.SafeText.Lines(text.TrimEnd()).Replace("```", "` ` `", StringComparison.Ordinal);
}
