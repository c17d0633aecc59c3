// Over 300 lines on purpose: each measure sits next to the hand-written baseline it is compared with,
// so a reader checks the pair in one place; it is a benchmark program, not shipped code.
using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using CliWrap.EventStream;
using DindBuild.Artifacts;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Images;
using DindBuild.Hosting;
using DindBuild.Sessions;
using DindBuild.Provisioning;
using DindBuild.Settings;
using Serilog;
using Serilog.Core;

namespace DindBuild.Benchmarks;

/// <summary>
/// Every lifecycle step measured against its floor in the same run — the machine is shared and
/// noisy, so only ratios to a baseline measured alongside mean anything.
/// </summary>
public sealed class BenchmarkSuite(DindSettings settings, ILogger log)
{
    private const string SeedImage = "dindbuild/dind:trixie";

    private readonly DindSettings _settings = settings.WithPrivilegeProfile(PrivilegeProfile.Capabilities);

    /// <summary>Steps log nothing while measured, so log output does not take part in the figures.</summary>
    private readonly ILogger _quiet = Logger.None;

    /// <summary>Only one group of rows: <c>builders</c> (BuildKit against classic, decoding, cache mounts) or <c>cache-mounts</c>; null for all.</summary>
    public string? Only { get; init; }

    /// <summary>Runs everything, prints the table and writes it as JSON into the artifacts directory.</summary>
    public async Task<IReadOnlyList<BenchmarkResult>> RunAndReportAsync(int iterations, CancellationToken cancellationToken)
    {
        var results = await RunAsync(iterations, cancellationToken).ConfigureAwait(false);
        var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
        log.Information("Benchmark results ({Machine}):\n{Table}", machine, BenchmarkReport.Table(results));
        Directory.CreateDirectory(_settings.HostArtifactsDirectory);
        var json = Path.Combine(_settings.HostArtifactsDirectory, "benchmark.json");
        await File.WriteAllTextAsync(json, BenchmarkReport.Json(results, machine), cancellationToken).ConfigureAwait(false);
        log.Information("Written to {Json}", json);
        return results;
    }

    public async Task<IReadOnlyList<BenchmarkResult>> RunAsync(int iterations, CancellationToken cancellationToken)
    {
        var results = new List<BenchmarkResult>();
        await using (var prepare = DindSession.Create(_settings, log, Services(log)))
        {
            await prepare.PrepareImagesAsync(cancellationToken).ConfigureAwait(false);
        }

        if (Only is null or "builders")
        {
            log.Information("Benchmark: BuildKit and the classic builder, decoding BuildKit's progress");
            results.AddRange(await new BuilderBenchmarks(_settings, log).RunAsync(Math.Max(2, iterations - 2), cancellationToken).ConfigureAwait(false));
        }

        if (Only is null or "builders" or "cache-mounts")
        {
            log.Information("Benchmark: a BuildKit cache mount on the cache volume, cold and warm");
            results.Add(await new CacheMountBenchmarks(_settings).RunAsync(Math.Max(2, iterations - 3), cancellationToken).ConfigureAwait(false));
        }

        if (Only is not null)
        {
            return results;
        }

        log.Information("Benchmark: daemon start-up ({Iterations} rounds)", iterations);
        results.AddRange(await StartupAsync(iterations, cancellationToken).ConfigureAwait(false));
        log.Information("Benchmark: export, seeding, memory");
        results.AddRange(await TransferAsync(Math.Max(2, iterations - 2), cancellationToken).ConfigureAwait(false));
        log.Information("Benchmark: warm rebuild with the cache volume");
        results.Add(await WarmRebuildAsync(2, cancellationToken).ConfigureAwait(false));
        log.Information("Benchmark: DindTest end to end, dind and dood");
        results.Add(await EndToEndAsync(2, cancellationToken).ConfigureAwait(false));
        log.Information("Benchmark: build-script start-up");
        results.Add(await ScriptStartupAsync(3, cancellationToken).ConfigureAwait(false));
        return results;
    }

    private async Task<IReadOnlyList<BenchmarkResult>> StartupAsync(int iterations, CancellationToken cancellationToken)
    {
        List<double> ours = [], plain = [], teardown = [], tlsOff = [], baseline = [], rsa = [];
        using var files = new BenchmarkDirectory();
        var entrypoint = files.Write("dindbuild-entrypoint.sh", EntrypointScript.Text);
        for (var round = 0; round <= iterations; round++)
        {
            // Round 0 warms caches (image layers, JIT) and is not counted.
            var (start, stop) = await StartOursAsync(tls: true, cancellationToken).ConfigureAwait(false);
            var (startOff, _) = await StartOursAsync(tls: false, cancellationToken).ConfigureAwait(false);
            var docker = await StartBaselineAsync(entrypoint, files, cancellationToken).ConfigureAwait(false);
            var keys = await TimeAsync(async () =>
            {
                for (var key = 0; key < 3; key++)
                {
                    await Cli.Wrap("openssl").WithArguments(["genrsa", "-out", files.PathOf($"key{key}.pem"), "4096"]).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
            if (round == 0)
            {
                continue;
            }

            ours.Add(start);
            teardown.Add(stop);
            tlsOff.Add(startOff);
            baseline.Add(docker);
            plain.Add(docker);
            rsa.Add(docker + keys);
        }

        return
        [
            new("StartDaemon+WaitForDaemon, cold, TLS on", "s", ours, "docker run + curl /_ping every 20 ms", baseline, RatioKind.Time, "≤ 1.3×", ratio => ratio <= 1.3),
            new("  the same vs docker:dind's TLS recipe", "s", ours, "docker run + 3 × openssl genrsa 4096", rsa, RatioKind.Time, "report", _ => true),
            new("  TLS on vs TLS off (StartDaemon+Wait)", "s", ours, "the same with --tls false", tlsOff, RatioKind.Absolute, "≤ +0.05 s", difference => difference <= 0.05)
            {
                Samples = ours.Zip(tlsOff, (on, off) => on - off).ToList(),
            },
            new("Teardown", "s", teardown, "—", [], RatioKind.Absolute, "≤ 1 s", seconds => seconds <= 1),
        ];
    }

    private async Task<(double Start, double Teardown)> StartOursAsync(bool tls, CancellationToken cancellationToken)
    {
        var pipeline = DindSession.Create(_settings.WithTls(tls).WithSessionId("b" + Guid.NewGuid().ToString("N")[..11]), _quiet, Services(_quiet));
        try
        {
            await pipeline.ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
            var start = await TimeAsync(async () =>
            {
                await pipeline.StartDaemonAsync(cancellationToken).ConfigureAwait(false);
                await pipeline.WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            var stop = await TimeAsync(pipeline.TeardownAsync).ConfigureAwait(false);
            return (start, stop);
        }
        finally
        {
            await pipeline.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>What a hand-written CI script does: docker run the same image, poll the socket with curl.</summary>
    private static async Task<double> StartBaselineAsync(string entrypoint, BenchmarkDirectory files, CancellationToken cancellationToken)
    {
        var name = "dindbuild-bench-" + Guid.NewGuid().ToString("N")[..8];
        var sockets = files.Directory($"sock-{name}");
        string[] capabilities = [.. LinuxCapabilities.DindMinimum.SelectMany(capability => new[] { "--cap-add", capability })];
        try
        {
            return await TimeAsync(async () =>
            {
                await Cli.Wrap("docker").WithArguments(
                [
                    "run", "-d", "--name", name, "--label", "org.dindbuild.benchmark=1", "--cap-drop", "ALL", .. capabilities,
                    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
                    "--mount", "type=volume,dst=/var/lib/docker", "-v", $"{sockets}:/run/dindbuild", "-v", $"{entrypoint}:/e.sh:ro",
                    "--entrypoint", "/bin/sh", SeedImage, "/e.sh", "--host=unix:///run/dindbuild/docker.sock", "--tls=false",
                ]).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    var ping = await Cli.Wrap("curl").WithArguments(["-s", "--unix-socket", Path.Combine(sockets, "docker.sock"), "http://localhost/_ping"])
                        .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
                    if (ping.StandardOutput == "OK")
                    {
                        return;
                    }

                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            await Cli.Wrap("docker").WithArguments(["rm", "-f", "-v", name]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<BenchmarkResult>> TransferAsync(int iterations, CancellationToken cancellationToken)
    {
        using var files = new BenchmarkDirectory();
        const string writeArtifacts =
            "mkdir -p /artifacts/many && i=0; while [ $i -lt 2000 ]; do head -c 104858 /dev/urandom > /artifacts/many/f$i; i=$((i+1)); done; " +
            "head -c 209715200 /dev/urandom > /artifacts/one.bin";
        var settings = _settings.WithTestCommand(writeArtifacts).WithHostArtifactsDirectory(files.Directory("unused"));
        await using var pipeline = DindSession.Create(settings, _quiet, Services(_quiet));
        await pipeline.StartDaemonAsync(cancellationToken).ConfigureAwait(false);
        await pipeline.WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);
        await pipeline.SeedImagesAsync(cancellationToken).ConfigureAwait(false);
        await pipeline.BuildImageAsync(cancellationToken).ConfigureAwait(false);
        await pipeline.RunTestsAsync(cancellationToken).ConfigureAwait(false);

        var daemon = pipeline.State.Daemon!;
        var environment = daemon.Endpoint.ClientEnvironment().ToDictionary(pair => pair.Key, pair => (string?)pair.Value);
        using var host = DockerEngine.Connect(DockerEndpoint.DefaultUnixSocket);
        using var inner = DockerEngine.Connect(daemon.Endpoint);
        using var bulk = DockerEngine.Connect(daemon.SocketEndpoint);
        var container = pipeline.TestResult!.ContainerId;
        List<double> many = [], manyCp = [], one = [], oneCp = [], seed = [], seedCli = [], memory = [], snapshot = [];

        // Not counted: the first run with this image makes its seed snapshot.
        await SnapshotSeedingAsync(files, cancellationToken).ConfigureAwait(false);
        for (var round = 0; round < iterations; round++)
        {
            many.Add(await TimeAsync(() => new ArtifactExporter(inner, _quiet).ExportAsync(container, "/artifacts/many", files.Directory($"many-{round}"), long.MaxValue, cancellationToken)).ConfigureAwait(false));
            manyCp.Add(await TimeAsync(() => Docker(["cp", $"{container}:/artifacts/many", files.Directory($"many-cp-{round}")], environment, cancellationToken)).ConfigureAwait(false));
            one.Add(await TimeAsync(() => new ArtifactExporter(inner, _quiet).ExportAsync(container, "/artifacts/one.bin", files.Directory($"one-{round}"), long.MaxValue, cancellationToken)).ConfigureAwait(false));
            oneCp.Add(await TimeAsync(() => Docker(["cp", $"{container}:/artifacts/one.bin", files.Directory($"one-cp-{round}")], environment, cancellationToken)).ConfigureAwait(false));

            await Docker(["rmi", "-f", SeedImage], environment, cancellationToken).ConfigureAwait(false);
            using (var sampler = new PeakMemorySampler())
            {
                seed.Add(await TimeAsync(() => new ImageSeeder(host, bulk, new RootfsImageBuilder(_quiet), _quiet).SeedAsync([SeedImage], cancellationToken)).ConfigureAwait(false));
                memory.Add(sampler.PeakMegabytes);
            }

            await Docker(["rmi", "-f", SeedImage], environment, cancellationToken).ConfigureAwait(false);
            seedCli.Add(await TimeAsync(() => Cli.Wrap("bash").WithArguments(["-o", "pipefail", "-c", $"docker save {SeedImage} | docker exec -i {daemon.ContainerId} docker load"])
                .ExecuteBufferedAsync(cancellationToken)).ConfigureAwait(false));
            snapshot.Add(await SnapshotSeedingAsync(files, cancellationToken).ConfigureAwait(false));
        }

        return
        [
            new("ExportArtifacts, 200 MB in 2000 files", "s", many, "docker cp", manyCp, RatioKind.Throughput, "≥ 1.0×", ratio => ratio >= 1.0),
            new("ExportArtifacts, 200 MB in one file", "s", one, "docker cp", oneCp, RatioKind.Throughput, "≥ 1.0×", ratio => ratio >= 1.0),
            new($"Image seeding, {SeedImage} (~550 MB), from its seed snapshot", "s", snapshot, "docker save | docker exec -i … docker load", seedCli, RatioKind.Throughput, "≥ 3.0×", ratio => ratio >= 3.0),
            new("  the streaming copy (first run: makes the snapshot)", "s", seed, "docker save | docker exec -i … docker load", seedCli, RatioKind.Throughput, "≥ 1.0×", ratio => ratio >= 1.0),
            new("Peak memory of the build process while seeding", "MB", memory, "—", [], RatioKind.Absolute, "≤ 300 MB", megabytes => megabytes <= 300),
        ];
    }

    /// <summary>
    /// What seeding adds to a run once the image's seed snapshot exists: StartDaemon+WaitForDaemon+SeedImages of a session
    /// that needs the image (the entry script copies the snapshot, SeedImages finds it) minus the same for one that needs
    /// none, measured back to back.
    /// </summary>
    private async Task<double> SnapshotSeedingAsync(BenchmarkDirectory files, CancellationToken cancellationToken)
    {
        var context = files.Directory("snapshot-context");
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM scratch\n");
        var settings = _settings.WithContextDirectory(context);
        async Task<double> StartAndSeedAsync(DindSettings options)
        {
            await using var session = DindSession.Create(options.WithSessionId("b" + Guid.NewGuid().ToString("N")[..11]), _quiet, Services(_quiet));
            await session.ProvisionEngineAsync(cancellationToken).ConfigureAwait(false);
            return await TimeAsync(async () =>
            {
                await session.StartDaemonAsync(cancellationToken).ConfigureAwait(false);
                await session.WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);
                await session.SeedImagesAsync(cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }

        var seeded = await StartAndSeedAsync(settings.WithSeedImage(SeedImage)).ConfigureAwait(false);
        var empty = await StartAndSeedAsync(settings).ConfigureAwait(false);

        // A difference within the noise can come out at or below zero; the ratio needs a positive time.
        return Math.Max(seeded - empty, 0.05);
    }

    private async Task<BenchmarkResult> WarmRebuildAsync(int iterations, CancellationToken cancellationToken)
    {
        List<double> cold = [], warm = [];
        using var host = DockerEngine.Connect(DockerEndpoint.DefaultUnixSocket);
        for (var round = 0; round < iterations; round++)
        {
            var cache = "dindbuild-bench-cache-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                cold.Add(await BuildOnCacheAsync(cache, cancellationToken).ConfigureAwait(false));
                warm.Add(await BuildOnCacheAsync(cache, cancellationToken).ConfigureAwait(false));
            }
            finally
            {
                await host.Volumes.RemoveAsync(cache, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return new("Rebuild of an unchanged context, warm cache", "s", warm, "the cold build", cold, RatioKind.Time, "≤ 0.2×", ratio => ratio <= 0.2);
    }

    private async Task<double> BuildOnCacheAsync(string cache, CancellationToken cancellationToken)
    {
        await using var pipeline = DindSession.Create(_settings.WithCacheVolume(cache), _quiet, Services(_quiet));
        await pipeline.StartDaemonAsync(cancellationToken).ConfigureAwait(false);
        await pipeline.WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);
        await pipeline.SeedImagesAsync(cancellationToken).ConfigureAwait(false);
        return await TimeAsync(() => pipeline.BuildImageAsync(cancellationToken)).ConfigureAwait(false);
    }

    private async Task<BenchmarkResult> EndToEndAsync(int iterations, CancellationToken cancellationToken)
    {
        List<double> dind = [], dood = [];
        using var files = new BenchmarkDirectory();
        for (var round = 0; round < iterations; round++)
        {
            dind.Add(await TimeAsync(() => BuildScriptAsync(["DindTest", "--artifacts-dir", files.Directory($"dind-{round}")], null, cancellationToken)).ConfigureAwait(false));
            dood.Add(await TimeAsync(() => BuildScriptAsync(["DindTest", "--docker-mode", "dood", "--artifacts-dir", files.Directory($"dood-{round}")], null, cancellationToken)).ConfigureAwait(false));
        }

        return new("DindTest end to end: dind minus dood", "s", dind.Zip(dood, (a, b) => a - b).ToList(), $"dood: {BenchmarkResult.MedianOf(dood):0.0} s", [], RatioKind.Absolute, "≤ 1.5 s", seconds => seconds <= 1.5);
    }

    private async Task<BenchmarkResult> ScriptStartupAsync(int iterations, CancellationToken cancellationToken)
    {
        using var files = new BenchmarkDirectory();
        var empty = files.Write("empty.cake", "Task(\"Empty\").Does(() => Information(\"first target starting\"));\nRunTarget(\"Empty\");\n");
        List<double> ours = [], cake = [];
        for (var round = 0; round <= iterations; round++)
        {
            var script = await BuildScriptAsync(["ProvisionEngine"], " ProvisionEngine", cancellationToken).ConfigureAwait(false);
            var plain = await UntilLineAsync(Cli.Wrap("dotnet").WithArguments(["cake", empty]).WithWorkingDirectory(_settings.RepositoryRoot), "first target starting", cancellationToken).ConfigureAwait(false);
            if (round > 0)
            {
                ours.Add(script);
                cake.Add(plain);
            }
        }

        return new("build-script start-up (to the first target)", "s", ours, "dotnet cake on an empty script", cake, RatioKind.Time, "report, then reduce", _ => true);
    }

    /// <summary>Runs ./build.sh; with a marker, returns the seconds until that line appeared, else the whole run's.</summary>
    private async Task<double> BuildScriptAsync(IReadOnlyList<string> arguments, string? marker, CancellationToken cancellationToken)
    {
        var command = Cli.Wrap(Path.Combine(_settings.RepositoryRoot, "build.sh")).WithArguments(arguments).WithWorkingDirectory(_settings.RepositoryRoot);
        if (marker is not null)
        {
            return await UntilLineAsync(command, marker, cancellationToken).ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        var result = await command.WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"./build.sh {string.Join(' ', arguments)} failed:\n{result.StandardOutput}{result.StandardError}");
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> UntilLineAsync(Command command, string marker, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        double? seen = null;
        await foreach (var @event in command.WithValidation(CommandResultValidation.None).ListenAsync(cancellationToken).ConfigureAwait(false))
        {
            if (seen is null && @event is StandardOutputCommandEvent output && output.Text.Contains(marker, StringComparison.Ordinal))
            {
                seen = clock.Elapsed.TotalSeconds;
            }
        }

        return seen ?? throw new InvalidOperationException($"'{marker}' never appeared");
    }

    private static async Task Docker(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken) =>
        await Cli.Wrap("docker").WithArguments(arguments).WithEnvironmentVariables(environment).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action().ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>A library-style session that may provision the host engine and build missing images, as the build targets do.</summary>
    private static SessionServices Services(ILogger log) => new() { Engines = new ProvisioningEngineConnector(log), Recipes = new RootfsImageBuilder(log) };
}
