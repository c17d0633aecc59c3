using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>./build.sh end to end, as a user types it; effects checked through the docker CLI and the files it leaves.</summary>
[Collection(EngineCollection.Name)]
public sealed class BuildScriptTests(EngineFixture engine)
{
    [Fact]
    public async Task DindTest_as_a_positional_target_passes_exports_the_report_and_leaves_nothing_behind()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--artifacts-dir", artifacts.Path, "--session-id", session]);

        Assert.True(run.ExitCode == 0, run.Output);
        var report = JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml"));
        Assert.Equal(0, report.Failures);
        Assert.True(report.Tests > 0);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        Assert.Contains(run.Lines, line => line.Contains("Step durations", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_failing_test_switch_fails_the_run_yet_keeps_the_report_and_cleans_up()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["--target=DindTest", "--test-env", "SAMPLE_FAIL=1", "--artifacts-dir", artifacts.Path, "--session-id", session]);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("The tests failed", run.Output, StringComparison.Ordinal);
        Assert.Equal(1, JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml")).Failures);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_during_RunTests_still_tears_everything_down(string signal)
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(
            ["DindTest", "--test-command", "echo tests-started; sleep 600", "--artifacts-dir", artifacts.Path, "--session-id", session],
            interruptWhen: line => line.Contains("tests-started", StringComparison.Ordinal) && line.Contains("test │", StringComparison.Ordinal),
            signal);

        Assert.True(run.Interrupted, "the tests never started:\n" + run.Output);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(run.Lines, line => line.Contains("Teardown removed", StringComparison.Ordinal));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task An_unknown_target_fails_and_lists_the_targets()
    {
        var run = await BuildScript.RunAsync(["NoSuchTarget"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unknown target 'NoSuchTarget'", run.Output, StringComparison.Ordinal);
        foreach (var target in new[] { "StartDaemon", "WaitForDaemon", "SeedImages", "BuildImage", "RunTests", "ExportArtifacts", "Teardown", "DindTest", "Test" })
        {
            Assert.Contains(target, run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_lists_every_target_and_every_defined_parameter()
    {
        var run = await BuildScript.RunAsync(["--help"]);

        Assert.True(run.ExitCode == 0, run.Output);
        foreach (var target in new[] { "StartDaemon", "WaitForDaemon", "SeedImages", "BuildImage", "RunTests", "ExportArtifacts", "Teardown", "DindTest", "Test", "Reap", "Benchmark" })
        {
            Assert.Contains($"  {target} ", run.Output, StringComparison.Ordinal);
        }

        foreach (var parameter in DindBuild.Settings.DindParameters.All)
        {
            Assert.Contains($"  --{parameter.Name}", run.Output, StringComparison.Ordinal);
            Assert.Contains(parameter.EnvironmentVariable, run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_tree_shows_DindTest_with_its_steps()
    {
        var run = await BuildScript.RunAsync(["--tree"]);

        Assert.True(run.ExitCode == 0, run.Output);
        var dindTest = run.Lines.ToList().FindIndex(line => line.TrimStart().StartsWith("DindTest", StringComparison.Ordinal));
        Assert.True(dindTest >= 0, run.Output);
        var below = string.Join('\n', run.Lines.Skip(dindTest));
        foreach (var step in new[] { "ExportArtifacts", "RunTests", "BuildImage", "SeedImages", "WaitForDaemon", "StartDaemon", "Teardown" })
        {
            Assert.Contains(step, below, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_invalid_parameter_is_named_with_the_accepted_values_and_starts_nothing()
    {
        var session = BuildScript.NewSessionId();
        var run = await BuildScript.RunAsync(["DindTest", "--privilege", "superuser", "--session-id", session]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--privilege: 'superuser' is not one of auto|privileged|capabilities|sysbox", run.Output, StringComparison.Ordinal);
        if (await DockerCli.RunAsync(["info"]) is { ExitCode: 0 })
        {
            Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
        }
    }
}
