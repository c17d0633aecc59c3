using CliWrap;
using CliWrap.Buffered;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Benchmarks;

/// <summary>
/// <c>./build.sh DindTest</c> on the .NET sample (samples/dotnet-app: a ~900 MB SDK base image, a Testcontainers test),
/// dind against dood in the same round, no options beyond what the sample needs (its helper image by --seed-image, as
/// DotnetSampleTests run it). Slow — about 90 s a round, and a first dind run before them — so it is its own group (<c>--only dotnet</c>, <c>--skip dotnet</c>).
/// </summary>
internal sealed class DotnetSampleBenchmarks(DindSettings settings, ILogger log)
{
    private static readonly string[] Sample = ["--context", "samples/dotnet-app", "--seed-image", "dindbuild/python:trixie"];

    public async Task<IReadOnlyList<BenchmarkResult>> RunAsync(int iterations, CancellationToken cancellationToken)
    {
        var root = settings.RepositoryRoot;

        // Not measured: the SDK stand-in is built on the host engine once per machine (minutes), not per run.
        log.Information("Benchmark: the .NET sample's base image on the host engine (PrepareImages, not measured)");
        await BuildScriptClock.RunAsync(root, ["PrepareImages", .. Sample], cancellationToken).ConfigureAwait(false);

        // Testcontainers for .NET pins API 1.44; against an older host engine (dood) it must be told the engine's.
        var api = (await Cli.Wrap("docker").WithArguments(["version", "--format", "{{.Server.APIVersion}}"]).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false)).StandardOutput.Trim();
        string[] apiVersion = Version.Parse(api) < new Version(1, 44) ? ["--test-env", "DOCKER_API_VERSION=" + api] : [];

        using var files = new BenchmarkDirectory();

        // A first dind run makes the sample's seed snapshot where this host has none (the streaming copy of ~900 MB),
        // and — the build snapshots of earlier runs removed first — builds from nothing and saves a build snapshot:
        // what a team pays once, and again whenever a change makes the expensive steps run. It is reported on its own,
        // with its save; the measured rounds are the runs a team has from then on.
        await RemoveBuildSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        var first = await BuildScriptClock.RunAsync(root, ["DindTest", .. Sample, "--artifacts-dir", files.Directory("dind-first")], cancellationToken).ConfigureAwait(false);
        List<double> dind = [], dood = [], cold = [];
        for (var round = 0; round < iterations; round++)
        {
            dind.Add((await BuildScriptClock.RunAsync(root, ["DindTest", .. Sample, "--artifacts-dir", files.Directory($"dind-{round}")], cancellationToken).ConfigureAwait(false)).Seconds);
            dood.Add((await BuildScriptClock.RunAsync(root, ["DindTest", .. Sample, "--docker-mode", "dood", .. apiVersion, "--artifacts-dir", files.Directory($"dood-{round}")], cancellationToken).ConfigureAwait(false)).Seconds);
            cold.Add((await BuildScriptClock.RunAsync(root, ["DindTest", .. Sample, "--build-snapshots", "off", "--artifacts-dir", files.Directory($"cold-{round}")], cancellationToken).ConfigureAwait(false)).Seconds);
        }

        var save = SaveSeconds(first.Output);
        return
        [
            new("DindTest end to end, samples/dotnet-app, dind", "s", dind, "the same in dood mode", dood, RatioKind.Time, "≤ 1.3×", ratio => ratio <= 1.3),
            new("  the first dind run (no build snapshot: builds from nothing and saves one)", "s", [first.Seconds], "dood", dood, RatioKind.Time, "report", _ => true),
            .. save is { } seconds ? [new BenchmarkResult("  of it, the build snapshot's save at teardown", "s", [seconds], "the first dind run", [first.Seconds], RatioKind.Time, "report", _ => true)] : Array.Empty<BenchmarkResult>(),
            new("  dind with --build-snapshots off (every run builds from nothing, as before)", "s", cold, "dood", dood, RatioKind.Time, "report", _ => true),
        ];
    }

    /// <summary>"Saved the build snapshot VOLUME in N s" in a run's output; null when it saved none.</summary>
    private static double? SaveSeconds(string output) =>
        System.Text.RegularExpressions.Regex.Match(output, @"Saved the build snapshot \S+ in (?<seconds>[0-9.]+) s") is { Success: true } match
            ? double.Parse(match.Groups["seconds"].Value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private async Task RemoveBuildSnapshotsAsync(CancellationToken cancellationToken)
    {
        var volumes = await Cli.Wrap("docker").WithArguments(["volume", "ls", "-q", "--filter", "label=org.dindbuild.cache=build-snapshot"]).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var volume in volumes.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            log.Information("Benchmark: removing the build snapshot {Volume}, so that the first run builds from nothing", volume);
            await Cli.Wrap("docker").WithArguments(["volume", "rm", volume]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
