using System.Text.RegularExpressions;
using DindBuild.Sessions;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// A session continued across build processes keeps what it was started with: its mode, its
/// daemon, its facts for the report; a kept session can run its tests again; --keep-daemon keeps.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed partial class StepByStepTests(EngineFixture engine)
{
    private static string StatePath(string session) => Path.Combine(RepositoryRoot.Path, ".dindbuild", "sessions", session + ".json");

    [Fact]
    public async Task Later_steps_of_a_dood_session_stay_dood_without_the_flag_and_a_conflicting_flag_is_an_error()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        var tag = $"dindbuild-steps-{session}:latest";
        try
        {
            var start = await BuildScript.RunAsync(["StartDaemon", "--docker-mode", "dood", "--session-id", session, "--artifacts-dir", artifacts.Path]);
            Assert.True(start.ExitCode == 0, start.Output);

            var seed = await BuildScript.RunAsync(["SeedImages", "--exclusive", "--session-id", session, "--artifacts-dir", artifacts.Path]);
            Assert.True(seed.ExitCode == 0, seed.Output);
            Assert.Contains(seed.Lines, line => line.Contains($"Continuing session {session} (dood)", StringComparison.Ordinal));
            Assert.Contains(seed.Lines, line => line.Contains("dood mode: the run uses the host's images directly", StringComparison.Ordinal));

            var build = await BuildScript.RunAsync(["BuildImage", "--exclusive", "--session-id", session, "--image-tag", tag, "--artifacts-dir", artifacts.Path]);
            Assert.True(build.ExitCode == 0, build.Output);

            // dood builds on the host engine itself: the docker CLI sees the image there.
            Assert.StartsWith("sha256:", await DockerCli.OutputAsync(["image", "inspect", "--format", "{{.Id}}", tag]), StringComparison.Ordinal);

            var conflicting = await BuildScript.RunAsync(["RunTests", "--exclusive", "--session-id", session, "--docker-mode", "dind", "--artifacts-dir", artifacts.Path]);
            Assert.Equal(2, conflicting.ExitCode);
            Assert.Contains($"Session {session} runs in dood mode, not dind", conflicting.Output, StringComparison.Ordinal);
            Assert.Contains("pass the same '--docker-mode' to every step, or none", conflicting.Output, StringComparison.Ordinal);

            var teardown = await BuildScript.RunAsync(["Teardown", "--session-id", session, "--artifacts-dir", artifacts.Path]);
            Assert.True(teardown.ExitCode == 0, teardown.Output);
            var report = await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-report.md"), TestContext.Current.CancellationToken);
            Assert.Contains("| Docker mode | dood |", report, StringComparison.Ordinal);
            Assert.Contains($"`{session}`", report, StringComparison.Ordinal);
            Assert.Contains($"| Image | {tag} sha256:", report, StringComparison.Ordinal);
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }
        finally
        {
            await CleanUpAsync(session);
            await DockerCli.RunAsync(["rmi", "-f", tag]);
        }
    }

    [Fact]
    public async Task DindTest_with_keep_daemon_keeps_the_session_and_says_how_to_remove_it()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        try
        {
            var run = await BuildScript.RunAsync(["DindTest", "--keep-daemon", "--session-id", session, "--artifacts-dir", artifacts.Path]);

            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains($"./build.sh Teardown --session-id {session}", run.Output, StringComparison.Ordinal);
            Assert.Equal("true", await DockerCli.OutputAsync(["inspect", "--format", "{{.State.Running}}", $"dindbuild-{session}"]));
            Assert.True(File.Exists(StatePath(session)), "the kept session was not saved");

            var teardown = await BuildScript.RunAsync(["Teardown", "--session-id", session]);
            Assert.True(teardown.ExitCode == 0, teardown.Output);
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }
        finally
        {
            await CleanUpAsync(session);
        }
    }

    [Fact]
    public async Task A_kept_session_runs_its_tests_again_and_failed_tests_are_exported_once()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        string[] common = ["--session-id", session, "--artifacts-dir", artifacts.Path];
        try
        {
            // BuildImage with its dependencies continues the saved session instead of starting a second daemon.
            var start = await BuildScript.RunAsync(["StartDaemon", .. common]);
            Assert.True(start.ExitCode == 0, start.Output);
            var build = await BuildScript.RunAsync(["BuildImage", .. common]);
            Assert.True(build.ExitCode == 0, build.Output);
            Assert.DoesNotContain(build.Lines, line => line.Contains("Started DinD container", StringComparison.Ordinal));

            var failing = await BuildScript.RunAsync(["RunTests", "--exclusive", "--test-env", "SAMPLE_FAIL=1", .. common]);
            Assert.Equal(3, failing.ExitCode);
            Assert.Equal(1, JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml")).Failures);

            var export = await BuildScript.RunAsync(["ExportArtifacts", "--exclusive", .. common]);
            Assert.True(export.ExitCode == 0, export.Output);
            Assert.Single(ExportLines().Matches(failing.Output + "\n" + export.Output));
            Assert.Contains("exported already", export.Output, StringComparison.Ordinal);

            var again = await BuildScript.RunAsync(["RunTests", "--exclusive", .. common]);
            Assert.True(again.ExitCode == 0, again.Output);
            var exportAgain = await BuildScript.RunAsync(["ExportArtifacts", "--exclusive", .. common]);
            Assert.True(exportAgain.ExitCode == 0, exportAgain.Output);
            Assert.Equal(0, JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml")).Failures);
        }
        finally
        {
            await CleanUpAsync(session);
        }
    }

    /// <summary>
    /// A DindTest saves its state in the checkout as it goes; an unnamed "always" Teardown of a step-by-step job in the
    /// same checkout (a second terminal, a parallel CI job) must not tear down that run under it.
    /// </summary>
    [Fact]
    public async Task An_unnamed_Teardown_leaves_a_session_another_live_build_is_running()
    {
        engine.RequireEngine();
        using var sweep = await CheckoutSessions.HoldAsync(); // an unnamed Teardown: see CheckoutSessions
        using var artifacts = new TempDirectory();
        var running = BuildScript.NewSessionId();
        var run = await RunningBuild.StartAsync(
            ["DindTest", "--session-id", running, "--artifacts-dir", artifacts.Combine("run"), "--test-command", "echo tests-started; sleep 600", "--test-report", "optional"],
            "test │ tests-started");

        var teardown = await BuildScript.RunAsync(["Teardown", "--artifacts-dir", artifacts.Combine("teardown")]);

        Assert.True(teardown.ExitCode == 0, teardown.Output);
        Assert.Contains(teardown.Lines, line => line.Contains($"Session {running} is being run by another build", StringComparison.Ordinal));
        Assert.Contains($"dindbuild-{running}", await DockerCli.OutputAsync(["ps", "--format", "{{.Names}}"]), StringComparison.Ordinal);
        Assert.False(run.IsCompleted, "the running build ended under the Teardown");

        await RunningBuild.InterruptAsync(run, $"dindbuild-{running}");
        Assert.Empty(await DockerCli.LabelledResourcesAsync(running));
    }

    [Fact]
    public async Task Sessions_removed_elsewhere_are_forgotten_and_fail_neither_a_later_step_nor_the_always_Teardown()
    {
        engine.RequireEngine();
        using var sweep = await CheckoutSessions.HoldAsync(); // an unnamed Teardown: see CheckoutSessions
        using var artifacts = new TempDirectory();
        string[] sessions = [BuildScript.NewSessionId(), BuildScript.NewSessionId(), BuildScript.NewSessionId()];
        var (reapedFirst, live, reapedLater) = (sessions[0], sessions[1], sessions[2]);
        try
        {
            foreach (var session in new[] { reapedFirst, live })
            {
                var start = await BuildScript.RunAsync(["StartDaemon", "--session-id", session, "--artifacts-dir", artifacts.Path]);
                Assert.True(start.ExitCode == 0, start.Output);
            }

            // Another checkout's Reap (or a hand) removes everything of one of them.
            await DockerCli.RemoveLabelledAsync(reapedFirst);
            var step = await BuildScript.RunAsync(["RunTests", "--exclusive", "--session-id", reapedFirst, "--artifacts-dir", artifacts.Path]);

            Assert.Equal(2, step.ExitCode);
            Assert.Contains($"RunTests cannot continue session {reapedFirst}", step.Output, StringComparison.Ordinal);
            Assert.Contains("retrying this step cannot pass", step.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("retry usually passes", step.Output, StringComparison.Ordinal);
            Assert.False(File.Exists(StatePath(reapedFirst)), "the gone session is still saved");
            Assert.False(Directory.Exists(SessionNames.PrivateDirectory(reapedFirst)), "the gone session's private directory (its TLS keys) is left");

            var third = await BuildScript.RunAsync(["StartDaemon", "--session-id", reapedLater, "--artifacts-dir", artifacts.Path]);
            Assert.True(third.ExitCode == 0, third.Output);
            await DockerCli.RemoveLabelledAsync(reapedLater);

            // The "always" step, with no --session-id: one gone and one live session saved.
            var teardown = await BuildScript.RunAsync(["Teardown", "--artifacts-dir", artifacts.Path]);

            Assert.True(teardown.ExitCode == 0, teardown.Output);
            Assert.Single(teardown.Lines, line => line.Contains($"Saved session {reapedLater} is gone", StringComparison.Ordinal));
            Assert.Contains(teardown.Lines, line => line.Contains("Teardown removed", StringComparison.Ordinal) && line.Contains(live, StringComparison.Ordinal));
            var contexts = await DockerCli.OutputAsync(["context", "ls", "--format", "{{.Name}}"]);
            foreach (var session in sessions)
            {
                Assert.False(File.Exists(StatePath(session)), $"{session} is still saved");
                Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
                Assert.DoesNotContain($"dindbuild-{session}", contexts, StringComparison.Ordinal);
                Assert.False(Directory.Exists(SessionNames.PrivateDirectory(session)), $"{session}'s private directory (its TLS keys) is left");
            }

            var again = await BuildScript.RunAsync(["Teardown", "--artifacts-dir", artifacts.Path]);
            Assert.True(again.ExitCode == 0, again.Output);
            Assert.Contains(again.Lines, line => line.Contains("No session to tear down", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var session in sessions)
            {
                await CleanUpAsync(session);
            }
        }
    }

    [Fact]
    public async Task Dood_sessions_reaped_elsewhere_are_reported_gone_once_and_fail_neither_a_later_step_nor_the_always_Teardown()
    {
        engine.RequireEngine();
        using var sweep = await CheckoutSessions.HoldAsync(); // an unnamed Teardown: see CheckoutSessions
        using var artifacts = new TempDirectory();
        var (stepped, tornDown) = (BuildScript.NewSessionId(), BuildScript.NewSessionId());
        try
        {
            foreach (var session in new[] { stepped, tornDown })
            {
                var start = await BuildScript.RunAsync(["StartDaemon", "--docker-mode", "dood", "--session-id", session, "--artifacts-dir", artifacts.Path]);
                Assert.True(start.ExitCode == 0, start.Output);

                // The session has something on the host engine from its start: its anchor volume.
                Assert.Equal(session, await DockerCli.OutputAsync(["volume", "inspect", "--format", "{{index .Labels \"org.dindbuild.session\"}}", $"dindbuild-{session}-session"]));
            }

            // Another checkout's Reap (or a hand) removes everything labelled with them.
            await DockerCli.RemoveLabelledAsync(stepped);
            await DockerCli.RemoveLabelledAsync(tornDown);

            var step = await BuildScript.RunAsync(["BuildImage", "--exclusive", "--session-id", stepped, "--artifacts-dir", artifacts.Path]);
            Assert.Equal(2, step.ExitCode);
            Assert.Single(step.Lines, line => line.Contains($"Saved session {stepped} is gone: nothing labelled org.dindbuild.session={stepped} is left on unix:///var/run/docker.sock", StringComparison.Ordinal));
            Assert.Contains($"BuildImage cannot continue session {stepped}", step.Output, StringComparison.Ordinal);
            Assert.Contains("retrying this step cannot pass", step.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("retry usually passes", step.Output, StringComparison.Ordinal);
            Assert.False(File.Exists(StatePath(stepped)), "the gone session is still saved");

            // The "always" step, with no --session-id: the other gone session is reported once and forgotten, exit 0.
            var teardown = await BuildScript.RunAsync(["Teardown", "--artifacts-dir", artifacts.Path]);
            Assert.True(teardown.ExitCode == 0, teardown.Output);
            Assert.Single(teardown.Lines, line => line.Contains($"Saved session {tornDown} is gone", StringComparison.Ordinal));
            Assert.DoesNotContain(teardown.Lines, line => line.Contains($"Saved session {stepped}", StringComparison.Ordinal));
            Assert.False(File.Exists(StatePath(tornDown)), "the gone session is still saved");

            // Reported once: later steps no longer know them.
            var again = await BuildScript.RunAsync(["Teardown", "--session-id", tornDown, "--artifacts-dir", artifacts.Path]);
            Assert.True(again.ExitCode == 0, again.Output);
            Assert.DoesNotContain(again.Lines, line => line.Contains("is gone", StringComparison.Ordinal));
            Assert.Contains(again.Lines, line => line.Contains("No session to tear down", StringComparison.Ordinal));
            foreach (var session in new[] { stepped, tornDown })
            {
                Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
                Assert.False(Directory.Exists(SessionNames.PrivateDirectory(session)));
            }
        }
        finally
        {
            await CleanUpAsync(stepped);
            await CleanUpAsync(tornDown);
        }
    }

    private static async Task CleanUpAsync(string session)
    {
        if (File.Exists(StatePath(session)))
        {
            await BuildScript.RunAsync(["Teardown", "--session-id", session]);
        }

        // What a failed test left of a gone session: nothing labelled is left for a Teardown to find it by.
        if (Directory.Exists(SessionNames.PrivateDirectory(session)))
        {
            Directory.Delete(SessionNames.PrivateDirectory(session), recursive: true);
        }
    }

    [GeneratedRegex(@"Exported \d+ artifact files")]
    private static partial Regex ExportLines();
}
