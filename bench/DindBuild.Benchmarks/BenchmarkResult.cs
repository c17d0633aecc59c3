using System.Globalization;

namespace DindBuild.Benchmarks;

/// <summary>How a measure compares with its baseline.</summary>
public enum RatioKind
{
    /// <summary>Our time over the baseline's: lower is better.</summary>
    Time,

    /// <summary>Our throughput over the baseline's (its time over ours): higher is better.</summary>
    Throughput,

    /// <summary>No baseline: the value itself is judged against the goal.</summary>
    Absolute,
}

/// <summary>One row of the benchmark table: samples of ours and of the baseline measured in the same run.</summary>
public sealed record BenchmarkResult(string Measure, string Unit, IReadOnlyList<double> Samples, string Baseline, IReadOnlyList<double> BaselineSamples, RatioKind Kind, string Goal, Func<double, bool> MeetsGoal)
{
    public double Median => MedianOf(Samples);

    public double? BaselineMedian => BaselineSamples.Count == 0 ? null : MedianOf(BaselineSamples);

    /// <summary>The figure the goal is about: a ratio against the baseline, or the median itself.</summary>
    public double Figure => Kind switch
    {
        RatioKind.Time => Median / BaselineMedian!.Value,
        RatioKind.Throughput => BaselineMedian!.Value / Median,
        _ => Median,
    };

    public bool GoalMet => MeetsGoal(Figure);

    public static double MedianOf(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public string Describe(IReadOnlyList<double> values) =>
        values.Count == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{MedianOf(values):0.###} ({values.Min():0.###}–{values.Max():0.###})");
}
