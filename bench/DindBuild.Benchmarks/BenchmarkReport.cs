using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DindBuild.Benchmarks;

/// <summary>The table printed at the end of a benchmark run, and the same as JSON.</summary>
public static class BenchmarkReport
{
    /// <summary>One line per row, the columns as wide as their longest cell; "met" is yes or NO, "—" for rows only reported.</summary>
    public static string Table(IReadOnlyList<BenchmarkResult> results)
    {
        string[] header = ["measure", "ours: median (min–max)", "baseline: median (min–max)", "figure", "goal", "met"];
        var rows = results.Select(result => new[]
        {
            result.Measure,
            result.Describe(result.Samples) + " " + result.Unit,
            result.BaselineSamples.Count == 0 ? result.Baseline : $"{result.Baseline}: {result.Describe(result.BaselineSamples)}",
            result.Kind == RatioKind.Absolute ? result.Figure.ToString("0.###", CultureInfo.InvariantCulture) : result.Figure.ToString("0.00", CultureInfo.InvariantCulture) + "×",
            result.Goal,
            result.Goal == "report" ? "—" : result.GoalMet ? "yes" : "NO",
        }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, column) => column == row.Length - 1 ? cell : cell.PadRight(widths[column]))));
        }

        return text.ToString();
    }

    public static string Json(IReadOnlyList<BenchmarkResult> results, string machine) =>
        JsonSerializer.Serialize(
            new
            {
                machine,
                measuredAt = DateTimeOffset.UtcNow,
                rows = results.Select(r => new
                {
                    measure = r.Measure,
                    unit = r.Unit,
                    samples = r.Samples,
                    median = r.Median,
                    min = r.Samples.Min(),
                    max = r.Samples.Max(),
                    baseline = r.Baseline,
                    baselineSamples = r.BaselineSamples,
                    baselineMedian = r.BaselineMedian,
                    kind = r.Kind.ToString(),
                    figure = r.Figure,
                    goal = r.Goal,
                    goalMet = r.GoalMet,
                }),
            },
            new JsonSerializerOptions { WriteIndented = true, TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() });
}
