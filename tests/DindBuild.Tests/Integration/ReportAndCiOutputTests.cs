using System.Text.Json;
using System.Text.RegularExpressions;
using DindBuild.Reporting;
using DindBuild.Tests.Infrastructure;
using DindBuild.Tests.Unit;

namespace DindBuild.Tests.Integration;

/// <summary>What a user and a CI system see of a run: the reports, the JSON log, CI-native output, the rendered page.</summary>
[Collection(EngineCollection.Name)]
public sealed class ReportAndCiOutputTests(EngineFixture engine)
{
    private static readonly string[] LifecycleSteps = ["ProvisionEngine", "StartDaemon", "WaitForDaemon", "SeedImages", "BuildImage", "RunTests", "ExportArtifacts", "Teardown"];

    [Fact]
    public async Task A_sample_run_writes_both_reports_and_a_json_log_and_its_rendering_shows_the_timeline_the_chart_and_every_step()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--artifacts-dir", artifacts.Path, "--session-id", session], environment: new Dictionary<string, string?> { ["GITLAB_CI"] = "true" });

        Assert.True(run.ExitCode == 0, run.Output);
        foreach (var step in LifecycleSteps)
        {
            var section = GitLabCiOutput.SectionName(step);
            // The capture splits lines at '\r' too, as a terminal would show them.
            Assert.Contains(run.Lines, line => Regex.IsMatch(line, $"^\u001b\\[0Ksection_start:\\d+:{section}$"));
            Assert.Contains(run.Lines, line => Regex.IsMatch(line, $"^\u001b\\[0Ksection_end:\\d+:{section}$"));
        }

        var markdown = await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-report.md"), TestContext.Current.CancellationToken);
        Assert.Contains($"## DindBuild run `{session}`: ✅ succeeded", markdown, StringComparison.Ordinal);
        Assert.All(LifecycleSteps, step => Assert.Contains($"| {step} |", markdown, StringComparison.Ordinal));
        Assert.Contains("10 passed, 0 failed, 0 skipped", markdown, StringComparison.Ordinal);
        Assert.Contains("| Privilege profile | capabilities |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Storage driver | overlay2 |", markdown, StringComparison.Ordinal);

        var events = (await File.ReadAllLinesAsync(Path.Combine(artifacts.Path, "dindbuild-log.jsonl"), TestContext.Current.CancellationToken))
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("@mt").GetString()!.StartsWith("Session {Session}", StringComparison.Ordinal) && e.GetProperty("Session").GetString() == session);
        Assert.All(events, e => Assert.True(e.TryGetProperty("@t", out _)));

        ChromiumAvailability.Require();
        var html = Path.Combine(artifacts.Path, "dindbuild-report.html");
        var png = Path.Combine(artifacts.Path, "dindbuild-report.png");
        var chromium = new ChromiumRenderer(EngineFixture.Log);
        await chromium.RenderAsync(html, png, 1100, 2200, TestContext.Current.CancellationToken);
        var image = PngImage.Load(png);
        Assert.True(image.Count(HtmlRunReport.OkColour) > 500, "the timeline's bars are not drawn");
        // Usually 6000–7500 pixels. But the whole run takes about 7 s now, and on a loaded machine docker stats may give
        // it a single sample. That sample's step is only 0.5 s wide: about 50 px under the 3 px stroke. No chart at all is 0.
        var cpuPixels = image.Count(HtmlRunReport.CpuColour);
        Assert.True(cpuPixels > 100, $"the CPU chart is not drawn ({cpuPixels} pixels of its colour)");
        Assert.True(image.Count(HtmlRunReport.MemoryColour) > 500, "the memory chart is not drawn");
        var dom = await chromium.DumpDomAsync(html, TestContext.Current.CancellationToken);
        Assert.All(LifecycleSteps, step => Assert.Contains($">{step}</text>", dom, StringComparison.Ordinal));
    }

    [Fact]
    public async Task In_a_simulated_GitHub_Actions_job_steps_are_groups_the_failure_an_annotation_and_the_summary_is_appended()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var summary = Path.Combine(artifacts.Path, "step-summary.md");
        await File.WriteAllTextAsync(summary, "# Earlier step's summary\n", TestContext.Current.CancellationToken);
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(
            ["DindTest", "--test-env", "SAMPLE_FAIL=1", "--artifacts-dir", Path.Combine(artifacts.Path, "out"), "--session-id", session],
            environment: new Dictionary<string, string?> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = summary });

        Assert.Equal(3, run.ExitCode);
        Assert.All(LifecycleSteps, step => Assert.Contains($"::group::{step}", run.Lines));
        Assert.Equal(run.Lines.Count(line => line.StartsWith("::group::", StringComparison.Ordinal)), run.Lines.Count(line => line == "::endgroup::"));
        var annotations = run.Lines.Where(line => line.StartsWith("::error ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, annotations.Count);
        Assert.StartsWith("::error title=DindBuild%3A RunTests failed::The tests failed: the test container exited with code 1.", annotations[0], StringComparison.Ordinal);
        Assert.Equal("::error title=Test failed::tests.test_calculator.test_add", annotations[1]);

        var written = await File.ReadAllTextAsync(summary, TestContext.Current.CancellationToken);
        Assert.StartsWith("# Earlier step's summary\n", written, StringComparison.Ordinal);
        Assert.Contains($"## DindBuild run `{session}`: ❌ failed", written, StringComparison.Ordinal);
        Assert.Contains("- ❌ `tests.test_calculator.test_add`", written, StringComparison.Ordinal);
        Assert.Contains("### Failure in RunTests", written, StringComparison.Ordinal);
        var html = await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "out", "dindbuild-report.html"), TestContext.Current.CancellationToken);
        Assert.Contains("Failure in RunTests", html, StringComparison.Ordinal);
        Assert.Contains("Daemon log (last lines)", html, StringComparison.Ordinal);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task The_pixel_check_tells_a_drawn_chart_from_a_missing_one()
    {
        ChromiumAvailability.Require();
        using var directory = new TempDirectory();
        var chromium = new ChromiumRenderer(EngineFixture.Log);
        var withSamples = directory.Combine("with.html");
        var withoutSamples = directory.Combine("without.html");
        await File.WriteAllTextAsync(withSamples, HtmlRunReport.Render(RunReportTests.SampleReport()), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(withoutSamples, HtmlRunReport.Render(RunReportTests.SampleReport(history => history with { Samples = [], Steps = [] })), TestContext.Current.CancellationToken);

        await chromium.RenderAsync(withSamples, directory.Combine("with.png"), 1100, 1600, TestContext.Current.CancellationToken);
        await chromium.RenderAsync(withoutSamples, directory.Combine("without.png"), 1100, 1600, TestContext.Current.CancellationToken);

        var drawn = PngImage.Load(directory.Combine("with.png"));
        var blank = PngImage.Load(directory.Combine("without.png"));
        Assert.Equal((1100, 1600), (drawn.Width, drawn.Height));
        Assert.True(drawn.Count(HtmlRunReport.CpuColour) > 500);
        Assert.True(drawn.Count(HtmlRunReport.OkColour) > 500);
        Assert.Equal(0, blank.Count(HtmlRunReport.CpuColour));
        Assert.Equal(0, blank.Count(HtmlRunReport.MemoryColour));
        Assert.True(blank.Count(HtmlRunReport.OkColour) < 500, "no timeline bars without steps");
    }

    [Fact]
    public async Task A_kept_daemon_is_usable_as_a_docker_context_and_the_context_is_gone_after_Teardown()
    {
        engine.RequireEngine();
        using var dockerConfig = new TempDirectory();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        var context = $"dindbuild-{session}";
        var environment = new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dockerConfig.Path };
        try
        {
            var started = await BuildScript.RunAsync(["SeedImages", "--session-id", session, "--artifacts-dir", artifacts.Path], environment: environment);
            Assert.True(started.ExitCode == 0, started.Output);
            Assert.Contains(started.Lines, line => line.Contains($"docker --context {context} ps", StringComparison.Ordinal));

            var ran = await DockerCli.RunAsync(["--context", context, "run", "--rm", "dindbuild/python:trixie", "python3", "-c", "print('hello from the kept daemon')"], environment: environment);
            Assert.True(ran.ExitCode == 0, ran.StandardError);
            Assert.Equal("hello from the kept daemon", ran.StandardOutput.Trim());
            var contextDaemon = await DockerCli.OutputAsync(["--context", context, "info", "--format", "{{.Name}}"], environment: environment);
            var containerHostname = await DockerCli.OutputAsync(["inspect", "--format", "{{.Config.Hostname}}", $"dindbuild-{session}"]);
            Assert.Equal(containerHostname, contextDaemon);
        }
        finally
        {
            var teardown = await BuildScript.RunAsync(["Teardown", "--session-id", session, "--artifacts-dir", artifacts.Path], environment: environment);
            Assert.True(teardown.ExitCode == 0, teardown.Output);
        }

        var inspect = await DockerCli.RunAsync(["context", "inspect", context], environment: environment);
        Assert.NotEqual(0, inspect.ExitCode);
        Assert.Empty(Directory.EnumerateFiles(dockerConfig.Path, "*", SearchOption.AllDirectories));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }
}
