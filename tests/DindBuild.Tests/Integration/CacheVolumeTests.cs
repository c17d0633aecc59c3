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
            Assert.Contains(warm.Lines, line => line.Contains("build │ #", StringComparison.Ordinal) && line.EndsWith(" CACHED", StringComparison.Ordinal));

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
            await RunningBuild.InterruptAsync(holder, users[0]);
        }
        finally
        {
            await DockerCli.RunAsync(["volume", "rm", "-f", cache]);
        }
    }

    [Fact]
    public async Task Two_runs_with_different_TMPDIR_never_both_mount_the_cache_volume()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        using var tmpA = new TempDirectory("dindbuild-tmpa");
        using var tmpB = new TempDirectory("dindbuild-tmpb");
        var cache = NewCacheName();
        try
        {
            // Sampled by the docker CLI the whole time both runs are up: never two containers on the volume.
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var mostAtOnce = SampleMostUsersAsync(cache, sampling.Token);
            string[] arguments = ["DindTest", "--cache-volume", cache, "--cache-wait", "2s", "--test-command", "echo tests-started; sleep 4", "--test-report", "optional"];
            var runs = await Task.WhenAll(
                BuildScript.RunAsync([.. arguments, "--artifacts-dir", artifacts.Combine("a")], environment: new Dictionary<string, string?> { ["TMPDIR"] = tmpA.Path }),
                BuildScript.RunAsync([.. arguments, "--artifacts-dir", artifacts.Combine("b")], environment: new Dictionary<string, string?> { ["TMPDIR"] = tmpB.Path }));
            await sampling.CancelAsync();

            Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.Output));
            Assert.True(await mostAtOnce <= 1, $"{await mostAtOnce} containers mounted {cache} at once");
            Assert.Single(runs, run => run.Lines.Any(line => line.Contains($"Created the cache volume {cache}", StringComparison.Ordinal) || line.Contains($"Using the cache volume {cache}", StringComparison.Ordinal)));
            Assert.Single(runs, run => run.Lines.Any(line => line.Contains("running on an ephemeral data root", StringComparison.Ordinal)));
            Assert.Empty(await LocksOfAsync(cache));
        }
        finally
        {
            await DockerCli.RunAsync(["volume", "rm", "-f", cache]);
        }
    }

    [Fact]
    public async Task A_lock_held_on_the_engine_makes_a_run_wait_and_a_lock_whose_owner_died_is_reclaimed()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var cache = NewCacheName();
        try
        {
            // Held by this test process, alive: a run must not start on the cache, whatever its TMPDIR.
            await CreateLockAsync(cache, DindBuild.Sessions.ProcessOwner.Current);
            var refused = await BuildScript.RunAsync(["DindTest", "--cache-volume", cache, "--cache-wait", "2s", "--cache-busy", "fail", "--artifacts-dir", artifacts.Combine("refused")]);
            Assert.Equal(5, refused.ExitCode);
            Assert.Contains($"The cache volume {cache} is in use by another daemon", refused.Output, StringComparison.Ordinal);
            Assert.Contains("another run is starting a daemon on it", refused.Output, StringComparison.Ordinal);
            await DockerCli.OutputAsync(["rm", "-f", "-v", $"dindbuild-cache-lock-{cache}"]);

            // Left by a killed run on this host: its pid names no process.
            await CreateLockAsync(cache, $"{Environment.MachineName}:{int.MaxValue - 7}:1");
            var run = await BuildScript.RunAsync(["DindTest", "--cache-volume", cache, "--artifacts-dir", artifacts.Combine("reclaimed")]);
            Assert.True(run.ExitCode == 0, run.Output);
            // By the quick reap every StartDaemon does, or by the lock itself when it meets it — or by the
            // quick reap of a run another test started meanwhile on this engine: then this run never met the
            // lock, and never waited on it.
            var reclaimedHere = run.Lines.Any(line => line.Contains($"the lock of the cache volume {cache}: its owner", StringComparison.Ordinal) && line.Contains("is gone", StringComparison.Ordinal));
            Assert.True(reclaimedHere || !run.Output.Contains("is in use by another daemon", StringComparison.Ordinal), run.Output);
            Assert.Contains(run.Lines, line => line.Contains($"Created the cache volume {cache}", StringComparison.Ordinal));
            Assert.Empty(await LocksOfAsync(cache));
        }
        finally
        {
            await DockerCli.RunAsync(["rm", "-f", "-v", $"dindbuild-cache-lock-{cache}"]);
            await DockerCli.RunAsync(["volume", "rm", "-f", cache]);
        }
    }

    private static string NewCacheName() => "dindbuild-test-cache-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A lock container as a run makes it: named for the cache, labelled with its owner, never started.</summary>
    private static Task CreateLockAsync(string cache, string owner) => DockerCli.OutputAsync(
    [
        "create", "--name", $"dindbuild-cache-lock-{cache}", "--network", "none", "--entrypoint", "true",
        "--label", $"org.dindbuild.cache-lock={cache}", "--label", $"org.dindbuild.owner={owner}",
        "--label", $"org.dindbuild.created={DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", "dindbuild/dind:trixie",
    ]);

    private static async Task<IReadOnlyList<string>> LocksOfAsync(string cache) =>
        (await DockerCli.OutputAsync(["ps", "-aq", "--filter", $"label=org.dindbuild.cache-lock={cache}"])).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static async Task<int> SampleMostUsersAsync(string volume, CancellationToken cancellationToken)
    {
        var most = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var users = await CliWrap.Buffered.BufferedCommandExtensions.ExecuteBufferedAsync(
                CliWrap.Cli.Wrap("docker").WithArguments(["ps", "-q", "--filter", $"volume={volume}"]).WithValidation(CliWrap.CommandResultValidation.None),
                CancellationToken.None);
            most = Math.Max(most, users.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            await Task.Delay(100, CancellationToken.None);
        }

        return most;
    }
}
