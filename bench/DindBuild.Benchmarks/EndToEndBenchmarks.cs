using CliWrap;
using DindBuild.Dind;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Benchmarks;

/// <summary>
/// <c>./build.sh DindTest</c> on the sample (the default context) as a team runs it, each round against, in the same
/// round: the hand-written docker:dind job (<c>hand-written-dind.sh</c>), the same run in dood mode, and the
/// README's step-by-step sequence of six processes. The dind runs also show whether a run still tries
/// <c>--privileged</c> after the first one on this host (the privilege memory of issue 17 item 3).
/// </summary>
internal sealed class EndToEndBenchmarks(DindSettings settings, ILogger log)
{
    private const string DindImage = "dindbuild/dind:trixie";

    private const string BaseImage = "dindbuild/python:trixie";

    /// <summary>README's six steps, Teardown last.</summary>
    private static readonly string[] StepNames = ["StartDaemon", "SeedImages", "BuildImage", "RunTests", "ExportArtifacts", "Teardown"];

    private string Root => settings.RepositoryRoot;

    public async Task<IReadOnlyList<BenchmarkResult>> RunAsync(int iterations, CancellationToken cancellationToken)
    {
        using var files = new BenchmarkDirectory();
        var entrypoint = files.Write("dindbuild-entrypoint.sh", EntrypointScript.Text);
        var script = Path.Combine(AppContext.BaseDirectory, "hand-written-dind.sh");
        var capabilities = string.Join(',', LinuxCapabilities.DindMinimum.Intersect(LinuxCapabilities.InBoundingSet()));
        List<double> dind = [], dood = [], handWritten = [], steps = [], stepOverhead = [];
        var refusedRuns = new List<int>();
        for (var round = 0; round < iterations; round++)
        {
            var ours = await BuildScriptClock.RunAsync(Root, ["DindTest", "--artifacts-dir", files.Directory($"dind-{round}")], cancellationToken).ConfigureAwait(false);
            var shared = await BuildScriptClock.RunAsync(Root, ["DindTest", "--docker-mode", "dood", "--artifacts-dir", files.Directory($"dood-{round}")], cancellationToken).ConfigureAwait(false);
            var baseline = await BuildScriptClock.RunAsync(
                Cli.Wrap("bash").WithArguments([script, DindImage, entrypoint, capabilities, BaseImage, Path.Combine(Root, "samples", "calculator"), files.PathOf($"script-{round}")]),
                cancellationToken).ConfigureAwait(false);
            var (stepSeconds, stepRuns) = await StepByStepAsync(files.Directory($"steps-{round}"), cancellationToken).ConfigureAwait(false);
            dind.Add(ours.Seconds);
            dood.Add(shared.Seconds);
            handWritten.Add(baseline.Seconds);
            steps.Add(stepSeconds);
            stepOverhead.Add(stepSeconds - ours.Seconds);
            refusedRuns.AddRange(new[] { ours }.Concat(stepRuns).Select(run => PrivilegeRefusals.In(run.Output) ? 1 : 0));
        }

        // The first dind run of this benchmark may be the first on this host (engine): it may ask once.
        log.Information("Refused --privileged attempts: {First} in the first dind run, {Later} in the {Count} later ones", refusedRuns[0], refusedRuns.Skip(1).Sum(), refusedRuns.Count - 1);
        return
        [
            new("DindTest end to end, samples/calculator", "s", dind, "hand-written docker:dind script (bench/…/hand-written-dind.sh)", handWritten, RatioKind.Time, "≤ 0.6×", ratio => ratio <= 0.6),
            new("DindTest end to end: dind minus dood", "s", dind.Zip(dood, (a, b) => a - b).ToList(), $"dood: {BenchmarkResult.MedianOf(dood):0.0} s", [], RatioKind.Absolute, "≤ 1.5 s", seconds => seconds <= 1.5),
            new("Step by step, 6 processes: overhead over DindTest", "s", stepOverhead, $"6 processes: {BenchmarkResult.MedianOf(steps):0.0} s; DindTest: {BenchmarkResult.MedianOf(dind):0.0} s", [], RatioKind.Absolute, "≤ 3 s", seconds => seconds <= 3),
            new("  refused --privileged attempts after the first dind run", "runs", [refusedRuns.Skip(1).Sum()], $"{refusedRuns.Count - 1} later dind runs with --privilege auto", [], RatioKind.Absolute, "0", count => count == 0),
        ];
    }

    /// <summary>README's "Step by step": six processes on one saved session; their total time and each run.</summary>
    private async Task<(double Seconds, List<BuildScriptClock.Run> Runs)> StepByStepAsync(string artifacts, CancellationToken cancellationToken)
    {
        var session = "b" + Guid.NewGuid().ToString("N")[..11];
        string[] common = ["--session-id", session, "--artifacts-dir", artifacts];
        var runs = new List<BuildScriptClock.Run>();
        try
        {
            foreach (var step in StepNames[..^1])
            {
                string[] exclusive = step == "StartDaemon" ? [] : ["--exclusive"];
                runs.Add(await BuildScriptClock.RunAsync(Root, [step, .. exclusive, .. common], cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            // Always, last, as in CI; a failed step above still throws after it.
            runs.Add(await BuildScriptClock.RunAsync(Root, ["Teardown", .. common], CancellationToken.None).ConfigureAwait(false));
        }

        log.Information("Step by step: {Steps}", string.Join(", ", runs.Select((run, index) => $"{StepNames[index]} {run.Seconds:0.0} s")));
        return (runs.Sum(run => run.Seconds), runs);
    }
}
