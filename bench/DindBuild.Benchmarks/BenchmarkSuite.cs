// Over 300 lines on purpose: each measure sits next to the hand-written baseline it is compared with,
// so a reader checks the pair in one place; it is a benchmark program, not shipped code.
using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
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

    /// <summary>Which groups of rows run (<see cref="BenchmarkGroups"/>); all by default.</summary>
    public BenchmarkGroups Groups { get; init; } = BenchmarkGroups.All;

    /// <summary>Runs everything, prints the table and writes it as JSON into the artifacts directory.</summary>
    public async Task<IReadOnlyList<BenchmarkResult>> RunAndReportAsync(int iterations, CancellationToken cancellationToken)
    {
        var results = await RunAsync(iterations, cancellationToken).ConfigureAwait(false);
        var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
        // Straight to the console: the log escapes line breaks inside a value, and the table is this program's output.
        log.Information("Benchmark results ({Machine}):", machine);
        await Console.Out.WriteAsync(BenchmarkReport.Table(results)).ConfigureAwait(false);
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

        if (Groups.Runs(BenchmarkGroups.Builders))
        {
            log.Information("Benchmark: BuildKit and the classic builder, decoding BuildKit's progress");
            results.AddRange(await new BuilderBenchmarks(_settings, log).RunAsync(Math.Max(2, iterations - 2), cancellationToken).ConfigureAwait(false));
        }

        if (Groups.Runs(BenchmarkGroups.Builders) || Groups.Runs(BenchmarkGroups.CacheMounts))
        {
            log.Information("Benchmark: a BuildKit cache mount on the cache volume, cold and warm");
            results.Add(await new CacheMountBenchmarks(_settings).RunAsync(Math.Max(2, iterations - 3), cancellationToken).ConfigureAwait(false));
        }

        if (Groups.Runs(BenchmarkGroups.Publish))
        {
            log.Information("Benchmark: PublishImage's push against docker push");
            results.Add(await new PublishBenchmarks(_settings, log).RunAsync(Math.Max(2, iterations - 2), cancellationToken).ConfigureAwait(false));
        }

        if (Groups.Runs(BenchmarkGroups.Daemon))
        {
            log.Information("Benchmark: daemon start-up ({Iterations} rounds)", iterations);
            results.AddRange(await StartupAsync(iterations, cancellationToken).ConfigureAwait(false));
        }

        if (Groups.Runs(BenchmarkGroups.Transfer))
        {
            log.Information("Benchmark: export, seeding, memory");
            results.AddRange(await TransferAsync(Math.Max(2, iterations - 2), cancellationToken).ConfigureAwait(false));
            log.Information("Benchmark: warm rebuild with the cache volume");
            results.Add(await WarmRebuildAsync(2, cancellationToken).ConfigureAwait(false));
        }

        if (Groups.Runs(BenchmarkGroups.EndToEnd))
        {
            log.Information("Benchmark: DindTest end to end on the sample: dind, dood, the hand-written script, step by step ({Iterations} rounds)", Math.Max(2, iterations - 1));
            results.AddRange(await new EndToEndBenchmarks(_settings, log).RunAsync(Math.Max(2, iterations - 1), cancellationToken).ConfigureAwait(false));
        }

        if (Groups.Runs(BenchmarkGroups.Dotnet))
        {
            log.Information("Benchmark: DindTest end to end on the .NET sample, dind and dood");
            results.AddRange(await new DotnetSampleBenchmarks(_settings, log).RunAsync(Math.Max(1, iterations - 2), cancellationToken).ConfigureAwait(false));
        }

        if (Groups.Runs(BenchmarkGroups.Startup))
        {
            log.Information("Benchmark: build-script start-up, broken down");
            results.AddRange(await new StartupBenchmarks(_settings).RunAsync(3, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    private async Task<IReadOnlyList<BenchmarkResult>> StartupAsync(int iterations, CancellationToken cancellationToken)
    {
        List<double> ours = [], teardown = [], tlsOff = [], baseline = [], rsa = [], snapshot = [];
        using var files = new BenchmarkDirectory();
        var entrypoint = files.Write("dindbuild-entrypoint.sh", EntrypointScript.Text);
        var refusals = new List<int>();
        for (var round = 0; round <= iterations; round++)
        {
            // Round 0 warms caches (image layers, JIT) and is not counted; its first start may be the first on this host.
            var privilege = new PrivilegeRefusals();
            var (start, stop) = await StartOursAsync(tls: true, privilege.Log, cancellationToken).ConfigureAwait(false);
            var (startOff, _) = await StartOursAsync(tls: false, privilege.Log, cancellationToken).ConfigureAwait(false);
            var (withSnapshot, _) = await StartOursAsync(tls: true, privilege.Log, cancellationToken, SeedSnapshotChoice.On).ConfigureAwait(false);
            refusals.Add(privilege.Count);
            var docker = await StartBaselineAsync(entrypoint, files, _settings.DataRootInMemory, cancellationToken).ConfigureAwait(false);
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
            snapshot.Add(withSnapshot);
            baseline.Add(docker);
            rsa.Add(docker + keys);
        }

        return
        [
            new("StartDaemon+WaitForDaemon, cold, TLS on", "s", ours, "docker run (same profile) + curl /_ping every 20 ms", baseline, RatioKind.Time, "≤ 1.1×", ratio => ratio <= 1.1),
            new("  the same vs docker:dind's TLS recipe", "s", ours, "docker run + 3 × openssl genrsa 4096", rsa, RatioKind.Time, "report", _ => true),
            new("  TLS on vs TLS off (StartDaemon+Wait)", "s", ours, "the same with --tls false", tlsOff, RatioKind.Absolute, "≤ +0.05 s", difference => difference <= 0.05)
            {
                Samples = ours.Zip(tlsOff, (on, off) => on - off).ToList(),
            },
            new("  the same with the sample's seed snapshot copied in first (the default)", "s", snapshot, "without it (--seed-snapshots off, the row above)", ours, RatioKind.Time, "report", _ => true),
            new("  refused --privileged attempts after the first start", "runs", [refusals.Skip(1).Sum()], $"{refusals[0]} in round 0; {3 * iterations} later starts, --privilege auto", [], RatioKind.Absolute, "0", count => count == 0),
            new("Teardown", "s", teardown, "—", [], RatioKind.Absolute, "≤ 1 s", seconds => seconds <= 1),
        ];
    }

    /// <summary>One start as a team's run gets it (<c>--privilege auto</c>, the host's memory of a refusal); logs only to <paramref name="startLog"/>.</summary>
    /// <remarks>
    /// Without the seed snapshot unless asked: the baseline starts an empty daemon, and copying the snapshot in before
    /// dockerd starts is seeding, measured in its own row (1.6 s of 6.3 s for the sample in one run; reported beside).
    /// </remarks>
    private async Task<(double Start, double Teardown)> StartOursAsync(bool tls, ILogger startLog, CancellationToken cancellationToken, SeedSnapshotChoice snapshots = SeedSnapshotChoice.Off)
    {
        var options = _settings.WithTls(tls).WithPrivilegeProfile(PrivilegeProfile.Auto).WithSeedSnapshots(snapshots).WithSessionId("b" + Guid.NewGuid().ToString("N")[..11]);
        var pipeline = DindSession.Create(options, startLog, Services(startLog));
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

    /// <summary>
    /// What a hand-written CI script does: docker run the same image with the same profile as our DinD container
    /// (DindContainerSpecs: the capabilities, security options and data root), poll the socket with curl.
    /// </summary>
    private static async Task<double> StartBaselineAsync(string entrypoint, BenchmarkDirectory files, bool dataRootInMemory, CancellationToken cancellationToken)
    {
        var name = "dindbuild-bench-" + Guid.NewGuid().ToString("N")[..8];
        var sockets = files.Directory($"sock-{name}");
        string[] capabilities = [.. LinuxCapabilities.DindMinimum.Intersect(LinuxCapabilities.InBoundingSet()).SelectMany(capability => new[] { "--cap-add", capability })];
        string[] dataRoot = dataRootInMemory ? ["--tmpfs", "/var/lib/docker:rw,exec,suid,dev,mode=711"] : ["--mount", "type=volume,dst=/var/lib/docker"];
        try
        {
            return await TimeAsync(async () =>
            {
                await Cli.Wrap("docker").WithArguments(
                [
                    "run", "-d", "--name", name, "--label", "org.dindbuild.benchmark=1", "--cap-drop", "ALL", .. capabilities,
                    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "-e", "DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1",
                    .. dataRoot, "-v", $"{sockets}:/run/dindbuild", "-v", $"{entrypoint}:/e.sh:ro",
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
            many.Add(await TimeSettledAsync(() => new ArtifactExporter(inner, _quiet).ExportAsync(container, "/artifacts/many", files.Directory($"many-{round}"), long.MaxValue, cancellationToken), cancellationToken).ConfigureAwait(false));
            manyCp.Add(await TimeSettledAsync(() => Docker(["cp", $"{container}:/artifacts/many", files.Directory($"many-cp-{round}")], environment, cancellationToken), cancellationToken).ConfigureAwait(false));
            one.Add(await TimeSettledAsync(() => new ArtifactExporter(inner, _quiet).ExportAsync(container, "/artifacts/one.bin", files.Directory($"one-{round}"), long.MaxValue, cancellationToken), cancellationToken).ConfigureAwait(false));
            oneCp.Add(await TimeSettledAsync(() => Docker(["cp", $"{container}:/artifacts/one.bin", files.Directory($"one-cp-{round}")], environment, cancellationToken), cancellationToken).ConfigureAwait(false));

            await Docker(["rmi", "-f", SeedImage], environment, cancellationToken).ConfigureAwait(false);
            using (var sampler = new PeakMemorySampler())
            {
                seed.Add(await TimeSettledAsync(() => new ImageSeeder(host, bulk, new RootfsImageBuilder(_quiet), _quiet).SeedAsync([SeedImage], cancellationToken), cancellationToken).ConfigureAwait(false));
                memory.Add(sampler.PeakMegabytes);
            }

            await Docker(["rmi", "-f", SeedImage], environment, cancellationToken).ConfigureAwait(false);
            seedCli.Add(await TimeSettledAsync(() => Cli.Wrap("bash").WithArguments(["-o", "pipefail", "-c", $"docker save {SeedImage} | docker exec -i {daemon.ContainerId} docker load"])
                .ExecuteBufferedAsync(cancellationToken), cancellationToken).ConfigureAwait(false));
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
            return await TimeSettledAsync(async () =>
            {
                await session.StartDaemonAsync(cancellationToken).ConfigureAwait(false);
                await session.WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);
                await session.SeedImagesAsync(cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
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

    private static async Task Docker(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken) =>
        await Cli.Wrap("docker").WithArguments(arguments).WithEnvironmentVariables(environment).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// <see cref="TimeAsync"/> after <c>sync</c>: the export rows write 200 MB to the host's disk and <c>docker save</c>
    /// writes its temporary copy there, so the kernel's writeback of one measure's dirty pages would otherwise land on
    /// whichever comes next (1.5 s on a 6 s seeding, measured), always the same one of each pair.
    /// </summary>
    private static async Task<double> TimeSettledAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        await Cli.Wrap("sync").ExecuteAsync(cancellationToken).ConfigureAwait(false);
        return await TimeAsync(action).ConfigureAwait(false);
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action().ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>A library-style session that may provision the host engine and build missing images, as the build targets do.</summary>
    private static SessionServices Services(ILogger log) => new() { Engines = new ProvisioningEngineConnector(log), Recipes = new RootfsImageBuilder(log) };
}
