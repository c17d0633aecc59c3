using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>A persistent data root for the DinD daemon: layers survive, and one daemon at a time uses it.</summary>
[Collection(EngineCollection.Name)]
public sealed class CacheVolumeTests(EngineFixture engine)
{
    [Fact]
    public async Task The_cache_volume_keeps_layers_across_runs_and_is_never_shared_by_two_daemons()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var cache = "dindbuild-test-cache-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var cold = await BuildScript.RunAsync(["DindTest", "--cache-volume", cache, "--artifacts-dir", artifacts.Combine("cold")]);
            Assert.True(cold.ExitCode == 0, cold.Output);
            Assert.Equal(cache, await DockerCli.OutputAsync(["volume", "inspect", "--format", "{{.Name}}", cache]));

            var warm = await BuildScript.RunAsync(["DindTest", "--cache-volume", cache, "--artifacts-dir", artifacts.Combine("warm")]);
            Assert.True(warm.ExitCode == 0, warm.Output);
            Assert.Contains(warm.Lines, line => line.Contains("already in the session's daemon", StringComparison.Ordinal));
            Assert.Contains(warm.Lines, line => line.Contains("build │  ---> Using cache", StringComparison.Ordinal));

            // A run holds the cache; a second one waits, then fails or falls back as told.
            var holder = await RunningBuild.StartAsync(
                ["DindTest", "--cache-volume", cache, "--artifacts-dir", artifacts.Combine("holder"), "--test-command", "echo tests-started; sleep 600"],
                "test │ tests-started");

            var refused = await BuildScript.RunAsync(["DindTest", "--cache-volume", cache, "--cache-wait", "2s", "--cache-busy", "fail", "--artifacts-dir", artifacts.Combine("refused")]);
            Assert.Equal(5, refused.ExitCode);
            Assert.Contains($"The cache volume {cache} is in use by another daemon", refused.Output, StringComparison.Ordinal);

            var ephemeral = await BuildScript.RunAsync(["DindTest", "--cache-volume", cache, "--cache-wait", "2s", "--artifacts-dir", artifacts.Combine("ephemeral")]);
            Assert.True(ephemeral.ExitCode == 0, ephemeral.Output);
            Assert.Contains(ephemeral.Lines, line => line.Contains("running on an ephemeral data root", StringComparison.Ordinal));

            var users = (await DockerCli.OutputAsync(["ps", "-q", "--filter", $"volume={cache}"])).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(users);
            await RunningBuild.InterruptOwnerOfAsync(users[0]);
            await holder;
        }
        finally
        {
            await DockerCli.RunAsync(["volume", "rm", "-f", cache]);
        }
    }
}
