using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>Killed runs, parallel runs and failing builds leave the host clean and say what happened.</summary>
[Collection(EngineCollection.Name)]
public sealed class LeakTests(EngineFixture engine)
{
    /// <summary>A line each lifecycle step prints while its resources exist.</summary>
    private static readonly (string Step, string Marker)[] Steps =
    [
        ("StartDaemon", "Started DinD container"),
        ("WaitForDaemon", "DinD daemon ready"),
        ("SeedImages", "The run needs"),
        ("BuildImage", "build │ #1 "),
        ("RunTests", "test │ tests-started"),
        ("ExportArtifacts", "Exported "),
    ];

    [Fact]
    public async Task Runs_killed_at_each_step_are_reaped_while_a_live_session_is_left_alone()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var live = BuildScript.NewSessionId();
        var liveRun = await RunningBuild.StartAsync(
            ["DindTest", "--session-id", live, "--artifacts-dir", artifacts.Combine("live"), "--test-command", "echo tests-started; sleep 600"],
            "test │ tests-started");

        var killed = new List<string>();
        foreach (var (step, marker) in Steps)
        {
            var session = BuildScript.NewSessionId();
            var tests = step == "RunTests" ? "echo tests-started; sleep 600" : "echo tests-started";
            var run = await BuildScript.RunAsync(
                ["DindTest", "--session-id", session, "--artifacts-dir", artifacts.Combine(session), "--test-command", tests],
                interruptWhen: line => line.Contains(marker, StringComparison.Ordinal),
                signal: "KILL");
            Assert.True(run.Interrupted, $"{step}: the marker '{marker}' never appeared:\n{run.Output}");
            Assert.NotEmpty(await DockerCli.LabelledResourcesAsync(session));
            killed.Add(session);
        }

        var reap = await BuildScript.RunAsync(["Reap"]);

        // Who reaps a killed session is whichever Reap comes first: this one, the next iteration's StartDaemon, or the
        // other test lane's StartDaemon (a CI run saw that lane take the last one first). What counts is that all are gone.
        Assert.True(reap.ExitCode == 0, reap.Output);
        foreach (var session in killed)
        {
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }

        Assert.Contains($"dindbuild-{live}", await DockerCli.OutputAsync(["ps", "--format", "{{.Names}}"]), StringComparison.Ordinal);
        Assert.False(liveRun.IsCompleted, "the live session's build ended early");

        await RunningBuild.InterruptAsync(liveRun, $"dindbuild-{live}");
        Assert.Empty(await DockerCli.LabelledResourcesAsync(live));
    }

    [Fact]
    public async Task Signals_while_the_DinD_container_is_created_leave_nothing_behind_after_one_Reap()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var sessions = new List<string>();
        foreach (var signal in new[] { "INT", "TERM", "KILL" })
        {
            var session = BuildScript.NewSessionId();
            var run = await BuildScript.RunAsync(
                ["DindTest", "--session-id", session, "--artifacts-dir", artifacts.Combine(session)],
                interruptWhen: line => line.Contains("Creating DinD container", StringComparison.Ordinal),
                signal);
            Assert.True(run.Interrupted, $"{signal}: the container was never created:\n{run.Output}");
            if (signal != "KILL")
            {
                // The build tore down itself, the create it interrupted included: nothing waits for the reaper.
                Assert.True(run.ExitCode == 130, $"{signal}: exit code {run.ExitCode}\n{run.Output}");
                await AssertNothingLeftAsync(session);
            }

            sessions.Add(session);
        }

        var reap = await BuildScript.RunAsync(["Reap", "--artifacts-dir", artifacts.Combine("reap")]);

        Assert.True(reap.ExitCode == 0, reap.Output);
        foreach (var session in sessions)
        {
            await AssertNothingLeftAsync(session);
        }
    }

    [Fact]
    public async Task Four_runs_at_once_on_one_host_all_succeed_without_collisions()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var sessions = Enumerable.Range(0, 4).Select(_ => BuildScript.NewSessionId()).ToList();

        var runs = await Task.WhenAll(sessions.Select(session =>
            BuildScript.RunAsync(["DindTest", "--session-id", session, "--artifacts-dir", artifacts.Combine(session)])));

        foreach (var (run, session) in runs.Zip(sessions))
        {
            Assert.True(run.ExitCode == 0, $"{session}:\n{run.Output}");
            Assert.Equal(0, JUnitReport.Load(Path.Combine(artifacts.Path, session, "junit.xml")).Failures);
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }
    }

    [Fact]
    public async Task Parallel_runs_in_one_artifacts_directory_are_refused_naming_the_run_that_has_it()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var first = BuildScript.NewSessionId();
        var running = await RunningBuild.StartAsync(
            ["DindTest", "--session-id", first, "--artifacts-dir", artifacts.Path, "--test-command", "echo tests-started; sleep 600"],
            "test │ tests-started");
        var owner = await DockerCli.OutputAsync(["inspect", "--format", "{{index .Config.Labels \"org.dindbuild.owner\"}}", $"dindbuild-{first}"]);
        var others = new[] { BuildScript.NewSessionId(), BuildScript.NewSessionId() };

        var refused = await Task.WhenAll(others.Select(session => BuildScript.RunAsync(["DindTest", "--session-id", session, "--artifacts-dir", artifacts.Path])));
        var reap = await BuildScript.RunAsync(["Reap", "--artifacts-dir", artifacts.Path]);

        foreach (var (run, session) in refused.Zip(others))
        {
            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"The artifacts directory {artifacts.Path} is in use by another DindBuild run: pid {owner.Split(':')[1]} (DindTest, session {first})", run.Output, StringComparison.Ordinal);
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }

        // Reap beside a run is never refused, and writes nothing into its directory.
        Assert.True(reap.ExitCode == 0, reap.Output);
        var log = await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-log.jsonl"), TestContext.Current.CancellationToken);
        Assert.Contains(first, log, StringComparison.Ordinal);
        Assert.Contains("tests-started", log, StringComparison.Ordinal);
        Assert.All(others, session => Assert.DoesNotContain(session, log, StringComparison.Ordinal));
        Assert.DoesNotContain("Reaped", log, StringComparison.Ordinal);

        await RunningBuild.InterruptAsync(running, $"dindbuild-{first}");
        Assert.Empty(Directory.EnumerateFiles(artifacts.Path, "*.lock", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_failing_build_exits_with_the_build_failure_code_and_names_the_step()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nRUN echo broken && exit 7\n", TestContext.Current.CancellationToken);
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--context", context.Path, "--session-id", session]);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("RUN echo broken && exit 7", run.Output, StringComparison.Ordinal);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    /// <summary>No labelled resource, private directory, saved session or docker context of the session.</summary>
    private static async Task AssertNothingLeftAsync(string session)
    {
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), $"dindbuild-{session}")), $"the private directory of {session} is left");
        Assert.False(File.Exists(Path.Combine(RepositoryRoot.Path, ".dindbuild", "sessions", session + ".json")), $"the saved state of {session} is left");
        Assert.DoesNotContain($"dindbuild-{session}", await DockerCli.OutputAsync(["context", "ls", "--format", "{{.Name}}"]), StringComparison.Ordinal);
    }
}
