using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Bad input fails before any daemon starts (exit 2), mistyped options are errors, and a run is
/// never green without test results of its own.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class InputFaultTests(EngineFixture engine)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("DindTest", "--dry-run", "--dryrun")]
    [InlineData("Teardown", "--docker-mdoe", "--docker-mode")]
    public async Task A_mistyped_option_is_an_error_naming_the_nearest_one(string target, string given, string meant)
    {
        var run = await BuildScript.RunAsync([target, given, "dood"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(given, run.Output, StringComparison.Ordinal);
        Assert.Contains($"did you mean {meant}", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, line => line.Contains("Started DinD container", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cake_own_switches_still_work()
    {
        var run = await BuildScript.RunAsync(["DindTest", "--dryrun", "--verbosity", "quiet"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.DoesNotContain(run.Lines, line => line.Contains("Started DinD container", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_inputs_are_all_reported_before_any_daemon_starts()
    {
        using var artifacts = new TempDirectory();
        var file = artifacts.Combine("a-file");
        await File.WriteAllTextAsync(file, "", Cancel);

        var run = await BuildScript.RunAsync(["DindTest", "--context", "samples/no-such-dir", "--artifacts-dir", Path.Combine(file, "artifacts")]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("samples/no-such-dir does not exist", run.Output, StringComparison.Ordinal);
        Assert.Contains("is not writable", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, line => line.Contains("StartDaemon", StringComparison.Ordinal) || line.Contains("host engine", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_target_stage_lists_the_stages_before_any_daemon_starts()
    {
        using var context = MultiStageContext();

        var run = await BuildScript.RunAsync(["DindTest", "--context", context.Path, "--target-stage", "tests"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--target-stage 'tests' is not a stage", run.Output, StringComparison.Ordinal);
        Assert.Contains("test (line 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("final (line 4", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, line => line.Contains("Started DinD container", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_whose_tests_write_no_report_is_not_green_unless_reports_are_optional()
    {
        engine.RequireEngine();
        using var context = MultiStageContext();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        // The last stage's CMD is a shell that exits 0 at once: nothing was tested.
        var run = await BuildScript.RunAsync(["DindTest", "--context", context.Path, "--artifacts-dir", artifacts.Path, "--session-id", session]);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("produced no test report", run.Output, StringComparison.Ordinal);
        Assert.Contains("test (line 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("--test-report optional", run.Output, StringComparison.Ordinal);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));

        var optional = await BuildScript.RunAsync(["DindTest", "--context", context.Path, "--artifacts-dir", artifacts.Path, "--test-report", "optional"]);
        Assert.True(optional.ExitCode == 0, optional.Output);

        var tested = await BuildScript.RunAsync(["DindTest", "--context", context.Path, "--artifacts-dir", artifacts.Path, "--target-stage", "test"]);
        Assert.True(tested.ExitCode == 0, tested.Output);
        Assert.Equal(1, JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml")).Tests);
    }

    [Fact]
    public async Task Reports_left_by_earlier_runs_are_not_counted()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var stale = string.Concat(Enumerable.Range(0, 100).Select(i => $"<testcase classname=\"old\" name=\"t{i}\"/>"));
        await File.WriteAllTextAsync(artifacts.Combine("old-junit.xml"), $"<testsuite tests=\"100\">{stale}</testsuite>", Cancel);

        var run = await BuildScript.RunAsync(["DindTest", "--artifacts-dir", artifacts.Path]);

        Assert.True(run.ExitCode == 0, run.Output);
        var report = await File.ReadAllTextAsync(artifacts.Combine("dindbuild-report.md"), Cancel);
        Assert.Contains("10 passed, 0 failed", report, StringComparison.Ordinal);
    }

    /// <summary>A test stage that writes a JUnit report, and a last stage whose CMD tests nothing.</summary>
    private static TempDirectory MultiStageContext()
    {
        var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile"),
            "FROM dindbuild/python:trixie AS test\n" +
            "CMD [\"sh\", \"-c\", \"echo '<testsuite tests=\\\"1\\\"><testcase name=\\\"ok\\\"/></testsuite>' > /artifacts/junit.xml\"]\n" +
            "\n" +
            "FROM dindbuild/python:trixie AS final\n" +
            "CMD [\"sh\"]\n");
        return context;
    }
}
