using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.EventStream;
using DindBuild.Settings;

namespace DindBuild.Benchmarks;

/// <summary>
/// <c>./build.sh ProvisionEngine</c> until its first target starts (Cake's task header), against an empty script run
/// with Cake's script cache on — as <c>dotnet cake</c> (the tool, as a team types it) and as Cake's own assembly run
/// directly (what build.sh does) — and broken down by the <c>DINDBUILD_TRACE_STARTUP</c> lines build.sh, the
/// bootstrapper and the recipe print: where each part of the start-up goes.
/// </summary>
internal sealed class StartupBenchmarks(DindSettings settings)
{
    private const string TracePrefix = "dindbuild-startup: ";

    private const string FirstTarget = "the first target's header";

    private const string EmptyTarget = "first target starting";

    public async Task<IReadOnlyList<BenchmarkResult>> RunAsync(int iterations, CancellationToken cancellationToken)
    {
        using var files = new BenchmarkDirectory();
        var empty = files.Write("empty.cake", $"Task(\"Empty\").Does(() => Information(\"{EmptyTarget}\"));\nRunTarget(\"Empty\");\n");
        var build = Path.Combine(settings.RepositoryRoot, "build");
        string[] cached = ["--settings_enablescriptcache=true", "--paths_cache=" + files.Directory("cake-cache")];
        var cakeDll = CakeAssembly(settings.RepositoryRoot);
        List<double> ours = [], tool = [], direct = [];
        var phases = new List<(string Phase, double Seconds)>();
        for (var round = 0; round <= iterations; round++)
        {
            // Round 0 fills the caches (Cake's compiled scripts, the OS's file cache) and is not counted.
            var (total, breakdown) = await TracedAsync(cancellationToken).ConfigureAwait(false);
            var plain = await BuildScriptClock.UntilLineAsync(Cli.Wrap("dotnet").WithArguments(["cake", empty, .. cached]).WithWorkingDirectory(build), EmptyTarget, cancellationToken).ConfigureAwait(false);
            var own = await BuildScriptClock.UntilLineAsync(Cli.Wrap("dotnet").WithArguments([cakeDll, empty, .. cached]).WithWorkingDirectory(build), EmptyTarget, cancellationToken).ConfigureAwait(false);
            if (round > 0)
            {
                ours.Add(total);
                tool.Add(plain);
                direct.Add(own);
                phases.AddRange(breakdown);
            }
        }

        List<BenchmarkResult> results =
        [
            new("build-script start-up (to the first target)", "s", ours, "dotnet cake, empty script, script cache on", tool, RatioKind.Time, "≤ 1.3×", ratio => ratio <= 1.3),
            new("  the same", "s", ours, "dotnet Cake.dll, empty script, cache on", direct, RatioKind.Time, "report", _ => true),
        ];
        results.AddRange(phases.GroupBy(phase => phase.Phase).Select(group =>
            new BenchmarkResult("  start-up: " + group.Key, "s", [.. group.Select(phase => phase.Seconds)], "—", [], RatioKind.Absolute, "report", _ => true)));
        return results;
    }

    /// <summary>One traced run: seconds to the first target, and each phase's seconds, named after what ended it.</summary>
    private async Task<(double Total, List<(string Phase, double Seconds)> Phases)> TracedAsync(CancellationToken cancellationToken)
    {
        var command = BuildScriptClock.Script(settings.RepositoryRoot, ["ProvisionEngine"]).WithEnvironmentVariables(new Dictionary<string, string?> { ["DINDBUILD_TRACE_STARTUP"] = "1" });
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var marks = new List<(string What, double At)>();
        double? total = null;
        await foreach (var @event in command.WithValidation(CommandResultValidation.None).ListenAsync(cancellationToken).ConfigureAwait(false))
        {
            if (@event is StandardErrorCommandEvent error && error.Text.StartsWith(TracePrefix, StringComparison.Ordinal))
            {
                var rest = error.Text[TracePrefix.Length..];
                var space = rest.IndexOf(' ', StringComparison.Ordinal);
                var epoch = double.Parse(rest[..space].Replace(',', '.'), CultureInfo.InvariantCulture);
                marks.Add((rest[(space + 1)..], epoch - (started - DateTime.UnixEpoch).TotalSeconds));
            }
            else if (total is null && @event is StandardOutputCommandEvent output && output.Text.Contains(" ProvisionEngine", StringComparison.Ordinal))
            {
                total = clock.Elapsed.TotalSeconds;
                marks.Add((FirstTarget, total.Value));
            }
        }

        if (total is null || marks.Count < 2)
        {
            throw new InvalidOperationException($"./build.sh ProvisionEngine printed no first target or no DINDBUILD_TRACE_STARTUP lines ({marks.Count} marks)");
        }

        var phases = new List<(string, double)>();
        var previous = 0.0;
        foreach (var (what, at) in marks.OrderBy(mark => mark.At))
        {
            phases.Add(("until " + what, at - previous));
            previous = at;
        }

        return (total.Value, phases);
    }

    /// <summary>Cake's own assembly as build.sh finds it: the pinned cake.tool's newest framework folder in the package cache.</summary>
    private static string CakeAssembly(string repositoryRoot)
    {
        var manifest = File.ReadAllText(Path.Combine(repositoryRoot, "build", "dotnet-tools.json"));
        var version = System.Text.Json.JsonDocument.Parse(manifest).RootElement.GetProperty("tools").GetProperty("cake.tool").GetProperty("version").GetString();
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set ? set : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var tools = new DirectoryInfo(Path.Combine(packages, "cake.tool", version!, "tools"));
        return tools.Exists
            ? tools.EnumerateDirectories("net*").Select(framework => (Major: int.TryParse(framework.Name[3..].Split('.')[0], out var major) ? major : int.MaxValue, Dll: Path.Combine(framework.FullName, "any", "Cake.dll")))
                .Where(framework => framework.Major <= Environment.Version.Major && File.Exists(framework.Dll)).OrderByDescending(framework => framework.Major).First().Dll
            : throw new InvalidOperationException($"Cake {version} is not in {packages}: run ./build.sh once first");
    }
}
