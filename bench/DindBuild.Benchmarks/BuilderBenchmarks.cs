using System.Diagnostics;
using System.Text;
using DindBuild.Docker;
using DindBuild.ImageBuild;
using DindBuild.ImageBuild.BuildKit;
using DindBuild.Hosting;
using DindBuild.Provisioning;
using DindBuild.Sessions;
using DindBuild.Settings;
using Serilog;
using Serilog.Core;

namespace DindBuild.Benchmarks;

/// <summary>
/// BuildKit against the classic builder on the same context and the same DinD daemon (cold: a build argument the RUN
/// step uses changes every round; warm: the same build again), and what decoding BuildKit's progress costs, against
/// the build that produced it and against merely reading its JSON lines.
/// </summary>
internal sealed class BuilderBenchmarks(DindSettings settings, ILogger log)
{
    private const string Dockerfile = """
        FROM dindbuild/python:trixie
        ARG ROUND
        WORKDIR /app
        COPY files/ files/
        RUN echo "$ROUND" > /round && python3 -c "print(sum(range(3_000_000)))"
        COPY Dockerfile /app/
        """;

    private readonly ILogger _quiet = Logger.None;

    public async Task<IReadOnlyList<BenchmarkResult>> RunAsync(int iterations, CancellationToken cancellationToken)
    {
        using var context = new BenchmarkDirectory();
        context.Write("Dockerfile", Dockerfile);
        context.Directory("files");
        for (var i = 0; i < 200; i++)
        {
            context.Write($"files/f{i:000}.txt", new string((char)('a' + (i % 26)), 8192));
        }

        var options = settings.WithContextDirectory(context.PathOf("")).WithImageTag("dindbuild-bench-builders:latest");
        await using var pipeline = DindSession.Create(options, _quiet, new SessionServices { Engines = new ProvisioningEngineConnector(_quiet), Recipes = new RootfsImageBuilder(_quiet) });
        await pipeline.StartDaemonAsync(cancellationToken).ConfigureAwait(false);
        await pipeline.WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);
        await pipeline.SeedImagesAsync(cancellationToken).ConfigureAwait(false);
        using var daemon = DockerEngine.Connect(pipeline.OwnDaemonEndpoint ?? throw new InvalidOperationException("no DinD daemon"));

        List<double> coldKit = [], coldClassic = [], warmKit = [], warmClassic = [], warmSession = [];
        for (var round = 0; round <= iterations; round++)
        {
            // Round 0 warms the daemon and the JIT and is not counted; each round builds a new ROUND cold, then again warm.
            foreach (var builder in new[] { BuilderKind.BuildKit, BuilderKind.Classic })
            {
                var arg = $"{builder}-{round}-{Guid.NewGuid():N}";
                var cold = await BuildAsync(daemon, context.PathOf(""), builder, arg, cancellationToken).ConfigureAwait(false);
                var warm = await BuildAsync(daemon, context.PathOf(""), builder, arg, cancellationToken).ConfigureAwait(false);
                // The same warm build with a build secret: the BuildKit session opened for it is the only difference.
                var withSession = builder == BuilderKind.BuildKit ? await BuildAsync(daemon, context.PathOf(""), builder, arg, cancellationToken, [new BuildSecret("bench", "bench-value"u8.ToArray())]).ConfigureAwait(false) : 0;
                if (round > 0)
                {
                    (builder == BuilderKind.BuildKit ? coldKit : coldClassic).Add(cold);
                    (builder == BuilderKind.BuildKit ? warmKit : warmClassic).Add(warm);
                    if (builder == BuilderKind.BuildKit)
                    {
                        warmSession.Add(withSession);
                    }
                }
            }
        }

        var (decode, build, jsonOnly, count, megabytes) = await DecodingCostAsync(daemon, context, iterations, cancellationToken).ConfigureAwait(false);
        log.Information("Decoding measured on {Count} trace messages ({MiB:0.0} MiB of JSON)", count, megabytes);
        return
        [
            new("BuildImage with BuildKit, cold (RUN and later steps run)", "s", coldKit, "the classic builder, same context and daemon", coldClassic, RatioKind.Time, "report", _ => true),
            new("BuildImage with BuildKit, warm (every step cached)", "s", warmKit, "the classic builder, same context and daemon", warmClassic, RatioKind.Time, "report", _ => true),
            new("BuildImage with BuildKit and a build secret, warm (session opened)", "s", warmSession, "the same warm build without a session", warmKit, RatioKind.Time, "≤ 1.5×", ratio => ratio <= 1.5),
            new($"Decoding BuildKit progress into log lines ({count} messages)", "s", decode, "the build that streamed them", build, RatioKind.Time, "≤ 0.05×", ratio => ratio <= 0.05),
            new($"Decoding BuildKit progress into log lines ({count} messages)", "s", decode, "only reading their JSON lines", jsonOnly, RatioKind.Time, "report", _ => true),
        ];
    }

    private async Task<double> BuildAsync(IDockerEngine daemon, string context, BuilderKind builder, string round, CancellationToken cancellationToken, System.Collections.Immutable.ImmutableArray<BuildSecret> secrets = default)
    {
        var spec = new ImageBuildSpec("dindbuild-bench-builders:latest", "Dockerfile") { Builder = builder, BuildArgs = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("ROUND", round), Secrets = secrets.IsDefault ? [] : secrets };
        var clock = Stopwatch.StartNew();
        await new ImageBuilder(daemon, _quiet, Diagnostics.ProgressReporter.Plain(_quiet, TimeSpan.FromHours(1))).BuildAsync(context, spec, cancellationToken).ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// A BuildKit build whose step prints 100,000 lines (BuildKit sends what its log rate limit lets through), its messages kept; then decoding and rendering them again
    /// (what the build spends on progress besides the transport) and parsing only their JSON lines, several times.
    /// </summary>
    private static async Task<(List<double> Decode, List<double> Build, List<double> JsonOnly, int Count, double MiB)> DecodingCostAsync(IDockerEngine daemon, BenchmarkDirectory context, int iterations, CancellationToken cancellationToken)
    {
        context.Write("Dockerfile.chatty", "FROM dindbuild/python:trixie\nARG ROUND\nRUN echo \"$ROUND\" && seq 1 100000\n");
        List<double> decode = [], build = [], jsonOnly = [];
        var messages = new List<ProgressMessage>();
        for (var round = 0; round < iterations; round++)
        {
            messages.Clear();
            var spec = new ImageBuildSpec("dindbuild-bench-chatty:latest", "Dockerfile.chatty") { Builder = BuilderKind.BuildKit, BuildArgs = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("ROUND", Guid.NewGuid().ToString("N")) };
            var pipe = new MemoryStream();
            await BuildContextArchive.WriteAsync(context.PathOf(""), spec.Dockerfile, pipe, cancellationToken).ConfigureAwait(false);
            pipe.Position = 0;
            var clock = Stopwatch.StartNew();
            await daemon.Images.BuildAsync(spec, pipe, messages.Add, cancellationToken).ConfigureAwait(false);
            build.Add(clock.Elapsed.TotalSeconds);
        }

        // BuildKit clips a step's log past 200 KiB/s ("[output clipped, log limit …]"): count what it did send.
        var sentLines = messages.Where(m => m.Trace is not null).Sum(m => StatusResponseDecoder.Decode(m.Trace).Logs.Sum(l => l.Data.Count(b => b == (byte)'\n')));
        var json = Encoding.UTF8.GetBytes(string.Concat(messages.Where(m => m.Trace is not null).Select(m => $"{{\"id\":\"moby.buildkit.trace\",\"aux\":\"{Convert.ToBase64String(m.Trace!)}\"}}\r\n")));
        for (var round = 0; round < iterations; round++)
        {
            var lines = 0;
            var progress = new BuildKitProgress(_ => lines++, _ => lines++);
            var clock = Stopwatch.StartNew();
            foreach (var message in messages.Where(m => m.Trace is not null))
            {
                progress.Observe(StatusResponseDecoder.Decode(message.Trace));
            }

            progress.Flush();
            decode.Add(clock.Elapsed.TotalSeconds);
            if (lines < sentLines)
            {
                throw new InvalidOperationException($"the chatty build's progress rendered {lines} lines, fewer than the {sentLines} BuildKit sent");
            }

            clock.Restart();
            await BuildMessageStream.ReadAsync(new MemoryStream(json), _ => { }, cancellationToken).ConfigureAwait(false);
            jsonOnly.Add(clock.Elapsed.TotalSeconds);
        }

        return (decode, build, jsonOnly, messages.Count(m => m.Trace is not null), json.Length / 1048576.0);
    }
}
