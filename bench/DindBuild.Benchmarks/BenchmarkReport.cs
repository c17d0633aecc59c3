using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DindBuild.Benchmarks;

/// <summary>The table printed at the end of a benchmark run, and the same as JSON.</summary>
public static class BenchmarkReport
{
    public static string Table(IReadOnlyList<BenchmarkResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"measure",-44} {"ours: median (min–max)",-28} {"baseline: median (min–max)",-36} {"figure",-9} {"goal",-22} met");
        foreach (var result in results)
        {
            var baseline = result.BaselineSamples.Count == 0 ? result.Baseline : $"{result.Baseline}: {result.Describe(result.BaselineSamples)}";
            var figure = result.Kind == RatioKind.Absolute ? result.Figure.ToString("0.###", CultureInfo.InvariantCulture) : result.Figure.ToString("0.00", CultureInfo.InvariantCulture) + "×";
            text.AppendLine(CultureInfo.InvariantCulture, $"{result.Measure,-44} {result.Describe(result.Samples) + " " + result.Unit,-28} {baseline,-36} {figure,-9} {result.Goal,-22} {(result.GoalMet ? "yes" : "NO")}");
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
