using System.Collections.Immutable;
using System.Xml.Linq;
using DindBuild.Docker;
using DindBuild.Reporting;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>Issue 16 item 4: <c>docker stats</c> per compose service, in the chart, in the Markdown report and in the saved history.</summary>
public sealed class ComposeServiceSamplesTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Each_container_of_the_project_is_found_by_compose_labels_and_sampled_on_its_own_replicas_told_apart()
    {
        using var engine = new FakeEngine(DockerEndpoint.UnixSocket("/fake/docker.sock"));
        IDockerContainers containers = engine;
        async Task<string> Container(string project, string service, string number)
        {
            var id = await containers.CreateAsync(new ContainerSpec("image") { Labels = ImmutableDictionary<string, string>.Empty
                .Add(ServiceSamplers.ProjectLabel, project).Add(ServiceSamplers.ServiceLabel, service).Add(ServiceSamplers.NumberLabel, number) }, CancellationToken.None);
            return id;
        }

        engine.Stats[await Container("dindbuild-s1", "redis", "1")] = [Sample(1, 5, 8), Sample(2, 7, 9)];
        engine.Stats[await Container("dindbuild-s1", "web", "2")] = [Sample(1, 2, 31)];
        engine.Stats[await Container("dindbuild-s1", "web", "1")] = [Sample(1, 1, 30)];
        engine.Stats[await Container("dindbuild-other", "redis", "1")] = [Sample(1, 50, 80)];
        await Container("dindbuild-s1", "idle", "1");

        await using var samplers = ServiceSamplers.Start(engine, "dindbuild-s1", Logger.None, TimeSpan.FromMilliseconds(10));
        await Task.Delay(100, TestContext.Current.CancellationToken);
        // Created after the first look, as compose creates the test service last: still found.
        engine.Stats[await Container("dindbuild-s1", "tests", "1")] = [Sample(1, 90, 120)];
        await Task.Delay(100, TestContext.Current.CancellationToken);
        var samples = await samplers.StopAsync();

        // Another project's container is not this stack's; one that streamed nothing (ended at once) has no line.
        Assert.Equal(["redis", "tests", "web", "web-2"], samples.Select(service => service.Service));
        Assert.Equal([5.0, 7.0], samples[0].Samples.Select(sample => sample.CpuPercent));
        Assert.Equal(120 * 1048576L, samples[1].Samples.Single().MemoryBytes);
        Assert.Equal(31 * 1048576L, samples[3].Samples.Single().MemoryBytes);
        Assert.Same(samples, await samplers.StopAsync());
    }

    [Fact]
    public void The_html_report_draws_one_line_per_service_in_each_chart_with_a_legend_and_escapes_service_names()
    {
        var report = RunReportTests.SampleReport(history => history with
        {
            ServiceSamples = [new("redis", [Sample(1, 5, 8), Sample(2, 7, 9)]), new("<script>x</script>", [Sample(1, 90, 120), Sample(3, 40, 60)])],
        });

        var html = HtmlRunReport.Render(report);

        var document = XDocument.Parse(html.Replace("<!DOCTYPE html>", "", StringComparison.Ordinal));
        XNamespace svg = "http://www.w3.org/2000/svg";
        var chart = document.Descendants(svg + "svg").Single(element => (string?)element.Attribute("id") == "service-resources");
        var lines = chart.Descendants(svg + "polyline").ToList();
        Assert.Equal(4, lines.Count);
        Assert.Equal([HtmlRunReport.ServiceColours[0], HtmlRunReport.ServiceColours[1], HtmlRunReport.ServiceColours[0], HtmlRunReport.ServiceColours[1]], lines.Select(line => (string?)line.Attribute("stroke")));
        // Two samples, each held until the next: four points per line.
        Assert.All(lines, line => Assert.Equal(4, ((string)line.Attribute("points")!).Split(' ').Length));
        Assert.Contains(chart.Descendants(svg + "text"), text => text.Value == "redis: 2 samples, peak CPU 7 %, peak memory 9.0 MiB");
        Assert.Contains(chart.Descendants(svg + "text"), text => text.Value.StartsWith("<script>x</script>: 2 samples, peak CPU 90 %", StringComparison.Ordinal));
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_compose_there_is_no_per_service_chart_and_the_markdown_report_has_a_row_per_service_with_it()
    {
        Assert.DoesNotContain("service-resources", HtmlRunReport.Render(RunReportTests.SampleReport()), StringComparison.Ordinal);
        Assert.DoesNotContain("per compose service", MarkdownRunReport.Render(RunReportTests.SampleReport()), StringComparison.Ordinal);

        var markdown = MarkdownRunReport.Render(RunReportTests.SampleReport(history => history with
        {
            ServiceSamples = [new("redis", [Sample(1, 5, 8), Sample(2, 7, 9)]), new("a|b", [Sample(1, 90, 120)])],
        }));

        Assert.Contains("| redis | 2 | 7 % | 9.0 MiB |", markdown, StringComparison.Ordinal);
        Assert.Contains("| a\\|b | 1 | 90 % | 120.0 MiB |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void A_saved_history_with_a_service_without_samples_renders_without_it()
    {
        var report = RunReportTests.SampleReport(history => history with { ServiceSamples = [new("empty", []), new("redis", [Sample(1, 5, 8)])] });

        var html = HtmlRunReport.Render(report);
        var markdown = MarkdownRunReport.Render(report);

        Assert.Contains("redis: 1 samples", html, StringComparison.Ordinal);
        Assert.DoesNotContain("empty:", html, StringComparison.Ordinal);
        Assert.DoesNotContain("| empty |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("per compose service", MarkdownRunReport.Render(RunReportTests.SampleReport(history => history with { ServiceSamples = [new("empty", [])] })), StringComparison.Ordinal);
    }

    [Fact]
    public void A_later_process_keeps_the_compose_services_and_samples_of_the_RunTests_process()
    {
        var runTests = new RunHistory
        {
            ComposeServices = [new("tests", "c2", "p-tests", "exited", 0, "")],
            ServiceSamples = [new("tests", [Sample(1, 90, 120)])],
        };

        var afterTeardown = runTests.Then(new RunHistory { Failure = null });

        Assert.Equal("tests", afterTeardown.ComposeServices.Single().Service);
        Assert.Equal("tests", afterTeardown.ServiceSamples.Single().Service);
        Assert.Equal(2, afterTeardown.Then(runTests).ServiceSamples.Count);
    }

    private static ResourceSample Sample(int second, double cpu, long mebibytes) => new(At.AddSeconds(second), cpu, mebibytes * 1048576L, 0);
}
