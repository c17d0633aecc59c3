using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using DindBuild.Docker;
using DindBuild.Images;
using DindBuild.Hosting;
using DindBuild.Provisioning;
using DindBuild.Sessions;
using DindBuild.Settings;
using Serilog;
using Serilog.Core;

namespace DindBuild.Benchmarks;

/// <summary>
/// PublishImage's push (the engine's <c>PushAsync</c> with the progress it reports) against <c>docker push</c> of the
/// same image from the same DinD daemon, each round to a registry of its own started empty for it (Debian's
/// docker-registry 2.8 over HTTP on the session's network): both upload every layer, none is mounted or found there.
/// </summary>
internal sealed class PublishBenchmarks(DindSettings settings, ILogger log)
{
    private const int Port = 5000;
    private const string Ours = "bench-ours";
    private const string CliRegistry = "bench-cli";

    // The tests' registry image (tests/…/TestRegistry.cs): the same recipe, so the same fingerprint and one image.
    private static readonly ImageRecipe Registry = new(
        "dindbuild/registry:trixie",
        "trixie",
        ["docker-registry", "ca-certificates"],
        ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CMD [\"docker-registry\", \"serve\", \"/etc/docker/registry/config.yml\"]"]);

    // A layer of its own on the Python image: about what a small service image adds to its base.
    private const string Dockerfile = "FROM dindbuild/python:trixie\nRUN head -c 67108864 /dev/urandom > /payload\n";

    private readonly ILogger _quiet = Logger.None;

    public async Task<BenchmarkResult> RunAsync(int iterations, CancellationToken cancellationToken)
    {
        using var files = new BenchmarkDirectory();
        files.Write("Dockerfile", Dockerfile);
        files.Write("config/config.yml", $"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/docker-registry\nhttp:\n  addr: :{Port}\n");
        using var host = DockerEngine.Connect(DockerEndpoint.DefaultUnixSocket);
        await new RootfsImageBuilder(log).EnsureAsync(host, Registry, cancellationToken).ConfigureAwait(false);

        var options = settings.WithContextDirectory(files.PathOf("")).WithImageTag("dindbuild-bench-publish:latest")
            .WithInsecureRegistry($"{Ours}:{Port}").WithInsecureRegistry($"{CliRegistry}:{Port}");
        await using var session = DindSession.Create(options, _quiet, new SessionServices { Engines = new ProvisioningEngineConnector(_quiet), Recipes = new RootfsImageBuilder(_quiet) });
        await session.StartDaemonAsync(cancellationToken).ConfigureAwait(false);
        await session.WaitForDaemonAsync(cancellationToken).ConfigureAwait(false);
        await session.SeedImagesAsync(cancellationToken).ConfigureAwait(false);
        await session.BuildImageAsync(cancellationToken).ConfigureAwait(false);
        var daemon = session.State.Daemon!;
        var environment = daemon.Endpoint.ClientEnvironment().ToDictionary(pair => pair.Key, pair => (string?)pair.Value);
        using var inner = DockerEngine.Connect(daemon.Endpoint);

        List<double> ours = [], cli = [];
        for (var round = 0; round < iterations; round++)
        {
            var ourReference = $"{Ours}:{Port}/app:{round}";
            var cliReference = $"{CliRegistry}:{Port}/app:{round}";
            await inner.Images.TagAsync(options.ImageTag, ourReference, cancellationToken).ConfigureAwait(false);
            await inner.Images.TagAsync(options.ImageTag, cliReference, cancellationToken).ConfigureAwait(false);
            var registries = new[] { await StartRegistryAsync(Ours, files, session.Id, cancellationToken).ConfigureAwait(false), await StartRegistryAsync(CliRegistry, files, session.Id, cancellationToken).ConfigureAwait(false) };
            try
            {
                // Alternating who goes first, so that a warmer page cache or daemon favours neither.
                Func<Task> ourPush = async () => ours.Add(await TimeAsync(() => inner.Images.PushAsync(ourReference, null, new PushProgress().Observe, cancellationToken)).ConfigureAwait(false));
                Func<Task> cliPush = async () => cli.Add(await TimeAsync(() => Cli.Wrap("docker").WithArguments(["push", "-q", cliReference]).WithEnvironmentVariables(environment).ExecuteBufferedAsync(cancellationToken)).ConfigureAwait(false));
                foreach (var push in round % 2 == 0 ? [ourPush, cliPush] : new[] { cliPush, ourPush })
                {
                    await push().ConfigureAwait(false);
                }
            }
            finally
            {
                foreach (var registry in registries)
                {
                    await Cli.Wrap("docker").WithArguments(["rm", "-f", "-v", registry]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }

        return new("PublishImage: push of a 64 MiB layer on the Python image (~320 MB) to an empty registry", "s", ours, "docker push from the same daemon", cli, RatioKind.Time, "≤ 1.1×", ratio => ratio <= 1.1);
    }

    /// <summary>An empty registry on the session's network under <paramref name="alias"/>, labelled with the session so teardown would find a leak.</summary>
    private static async Task<string> StartRegistryAsync(string alias, BenchmarkDirectory files, string sessionId, CancellationToken cancellationToken)
    {
        var name = $"dindbuild-{sessionId}-{alias}";
        await Cli.Wrap("docker").WithArguments(
            [
                "run", "-d", "--name", name, "--label", $"org.dindbuild.session={sessionId}", "--network", SessionNames.Network(sessionId), "--network-alias", alias,
                "-v", $"{files.PathOf("config")}:/config:ro", Registry.ImageName, "docker-registry", "serve", "/config/config.yml",
            ]).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);

        // Serving is "/v2/ answers", never "the container runs".
        for (var tries = 0; tries < 100; tries++)
        {
            var probe = await Cli.Wrap("docker").WithArguments(["exec", name, "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{Port}"]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
            if (probe.ExitCode == 0)
            {
                break;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return name;
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action().ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }
}
