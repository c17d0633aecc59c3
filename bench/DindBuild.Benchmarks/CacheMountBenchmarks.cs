using System.Diagnostics;
using DindBuild.Docker;
using DindBuild.Hosting;
using DindBuild.Provisioning;
using DindBuild.Sessions;
using DindBuild.Settings;
using Serilog.Core;

namespace DindBuild.Benchmarks;

/// <summary>
/// A BuildKit cache mount across runs on one <c>--cache-volume</c>: each round a fresh volume, a cold run (the mount is
/// empty, so its RUN step does the expensive work and fills it) and a warm run — a new session and daemon on the same
/// volume, with the step made to run again by a changed build argument, so only the cache mount can save the work.
/// The warm BuildImage is measured against the cold one of the same round.
/// </summary>
internal sealed class CacheMountBenchmarks(DindSettings settings)
{
    // The "expensive work" stands for a package restore: 64 MiB written into the mount and a few seconds of CPU.
    private const string Dockerfile = """
        FROM dindbuild/python:trixie
        ARG ROUND
        RUN --mount=type=cache,target=/cache echo "$ROUND" && if [ ! -f /cache/done ]; then head -c 67108864 /dev/urandom > /cache/blob && python3 -c "print(sum(range(40_000_000)))" && touch /cache/done; fi
        """;

    public async Task<BenchmarkResult> RunAsync(int iterations, CancellationToken cancellationToken)
    {
        using var context = new BenchmarkDirectory();
        context.Write("Dockerfile", Dockerfile);
        List<double> cold = [], warm = [];
        using var host = DockerEngine.Connect(DockerEndpoint.DefaultUnixSocket);
        for (var round = 0; round < iterations; round++)
        {
            var cache = "dindbuild-bench-mounts-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                cold.Add(await BuildAsync(context.PathOf(""), cache, $"cold-{round}", cancellationToken).ConfigureAwait(false));
                warm.Add(await BuildAsync(context.PathOf(""), cache, $"warm-{round}", cancellationToken).ConfigureAwait(false));
            }
            finally
            {
                await host.Volumes.RemoveAsync(cache, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return new("BuildImage with a cache mount, warm --cache-volume (new daemon, the RUN step runs again)", "s", warm, "the cold build, empty cache mount", cold, RatioKind.Time, "≤ 0.5×", ratio => ratio <= 0.5);
    }

    private async Task<double> BuildAsync(string context, string cache, string round, CancellationToken cancellationToken)
    {
        var options = settings.WithContextDirectory(context).WithImageTag("dindbuild-bench-mounts:latest").WithBuildArg("ROUND", round).WithCacheVolume(cache);
        await using var session = DindSession.Create(options, Logger.None, new SessionServices { Engines = new ProvisioningEngineConnector(Logger.None), Recipes = new RootfsImageBuilder(Logger.None) });
        await session.StartDaemonAsync(cancellationToken).ConfigureAwait(false);
        await session.WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);
        await session.SeedImagesAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        await session.BuildImageAsync(cancellationToken).ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }
}
