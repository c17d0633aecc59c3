using System.Text.RegularExpressions;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// BuildKit's cache mounts and layers on a --cache-volume: a second run reuses both, a run without the volume does
/// not. Checked through the exported artifacts, the build's console output, the volume's own content (read by a
/// helper container) and the host engine's events for the DinD container.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed partial class CacheMountTests(EngineFixture engine)
{
    private const string Dockerfile = """
        FROM dindbuild/python:trixie
        RUN echo layer-step-ran && echo built > /layer.txt
        ARG ROUND
        RUN --mount=type=cache,target=/cache echo "$ROUND" >> /cache/rounds && cp /cache/rounds /rounds.txt
        """;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_second_run_on_the_cache_volume_reuses_cache_mounts_and_layers_and_a_run_without_it_does_not()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        using var artifacts = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), Dockerfile, Cancel);
        var cache = "dindbuild-test-mounts-" + Guid.NewGuid().ToString("N")[..8];
        string[] sessions = [BuildScript.NewSessionId(), BuildScript.NewSessionId(), BuildScript.NewSessionId()];
        try
        {
            var cold = await RunAsync(context, artifacts.Combine("cold"), sessions[0], "first", ["--cache-volume", cache]);
            Assert.Equal(["first"], await File.ReadAllLinesAsync(artifacts.Combine("cold", "rounds.txt"), Cancel));
            Assert.Contains(cold.Lines, line => line.EndsWith(" layer-step-ran", StringComparison.Ordinal));

            // The RUN step with the mount runs again (ROUND changed) and finds what the first run left in it; the layer before it is cached.
            // How its DinD container ended is watched as it happens: the container is gone after the run.
            IReadOnlyList<string> exits;
            BuildScriptResult warm;
            await using (var deaths = DockerEvents.Watch([$"container=dindbuild-{sessions[1]}", "event=die"], "{{.Actor.Attributes.exitCode}}"))
            {
                warm = await RunAsync(context, artifacts.Combine("warm"), sessions[1], "second", ["--cache-volume", cache]);
                exits = await deaths.WaitForAsync(exit => exit == "0", TimeSpan.FromSeconds(10));
            }

            Assert.Equal(["first", "second"], await File.ReadAllLinesAsync(artifacts.Combine("warm", "rounds.txt"), Cancel));
            var layerStep = VertexOf(warm.Lines, "RUN echo layer-step-ran");
            Assert.Contains(warm.Lines, line => line.EndsWith($"build │ {layerStep} CACHED", StringComparison.Ordinal));
            Assert.DoesNotContain(warm.Lines, line => line.EndsWith(" layer-step-ran", StringComparison.Ordinal));
            Assert.Contains(warm.Lines, line => line.Contains($"Stopped the daemon on the cache volume {cache} with SIGTERM", StringComparison.Ordinal));

            // The volume itself: the cache mount's file, and nothing of the sessions' test containers and artifacts volumes.
            var content = await DockerCli.OutputAsync(
            [
                "run", "--rm", "--network", "none", "-v", $"{cache}:/v:ro", "dindbuild/python:trixie", "sh", "-c",
                "find /v -path '*/overlay2/*/diff/rounds' -exec cat {} +; echo ---; find /v -maxdepth 3 -path '*/volumes/dindbuild-*'; find /v -maxdepth 3 -path '*/containers/*'",
            ]);
            Assert.Equal("first\nsecond\n---", content);

            // dockerd ended on SIGTERM (exit code 0), not killed by the forced remove (137). The last one: where the host
            // refuses the inner user namespace, StartDaemon replaced a first container of that name by force.
            Assert.NotEmpty(exits);
            Assert.Equal("0", exits[^1]);

            // Control: a run without the volume starts with an empty cache mount.
            await RunAsync(context, artifacts.Combine("control"), sessions[2], "third", []);
            Assert.Equal(["third"], await File.ReadAllLinesAsync(artifacts.Combine("control", "rounds.txt"), Cancel));
        }
        finally
        {
            await DockerCli.RunAsync(["volume", "rm", "-f", cache]);
        }

        foreach (var session in sessions)
        {
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }
    }

    private static async Task<BuildScriptResult> RunAsync(TempDirectory context, string artifacts, string session, string round, IReadOnlyList<string> cache)
    {
        var run = await BuildScript.RunAsync(
        [
            "DindTest", "--context", context.Path, "--build-arg", $"ROUND={round}", .. cache, "--session-id", session, "--artifacts-dir", artifacts,
            "--test-report", "optional", "--test-command", "cp /rounds.txt /artifacts/rounds.txt",
        ]);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 26.", StringComparison.Ordinal));
        return run;
    }

    /// <summary>The progress number (<c>#5</c>) BuildKit gave the step whose name contains <paramref name="step"/>.</summary>
    private static string VertexOf(IReadOnlyList<string> lines, string step)
    {
        var match = lines.Select(line => Vertex().Match(line)).FirstOrDefault(m => m.Success && m.Groups[2].Value.Contains(step, StringComparison.Ordinal));
        Assert.True(match is not null, $"no progress line names '{step}':\n{string.Join('\n', lines)}");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"build │ (#\d+) (\[.*)$")]
    private static partial Regex Vertex();
}
