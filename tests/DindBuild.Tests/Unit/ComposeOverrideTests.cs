using System.Text.Json.Nodes;
using DindBuild.Compose;
using DindBuild.Sessions;

namespace DindBuild.Tests.Unit;

/// <summary>The file DindBuild adds after the user's: labels on everything compose creates, no pulls, the artifacts volume.</summary>
public sealed class ComposeOverrideTests
{
    private static readonly ComposeModel Model = new("dindbuild-s1", [new("redis") { Image = "dindbuild/redis:trixie" }, new("app") { Build = new("/p", "Dockerfile") }, new("tests") { Build = new("/p", "Dockerfile") }])
    {
        Networks = ["default", "backend"],
        Volumes = ["data"],
    };

    private static JsonNode Override => JsonNode.Parse(ComposeOverride.Json(Model, "s1", "owner-1", "tests", "/artifacts"))!;

    [Fact]
    public void Every_service_carries_the_session_labels_and_never_pulls()
    {
        var services = Override["services"]!.AsObject();

        Assert.Equal(["redis", "app", "tests"], services.Select(service => service.Key));
        Assert.All(services, service =>
        {
            Assert.Equal("s1", (string?)service.Value!["labels"]![SessionLabels.Session]);
            Assert.Equal("owner-1", (string?)service.Value["labels"]![SessionLabels.Owner]);
            Assert.Equal("never", (string?)service.Value["pull_policy"]);
        });
    }

    [Fact]
    public void Only_the_test_service_gets_a_volume_at_the_artifacts_path()
    {
        var services = Override["services"]!;

        var mount = Assert.Single(services["tests"]!["volumes"]!.AsArray())!;
        Assert.Equal("volume", (string?)mount["type"]);
        Assert.Equal(ComposeOverride.ArtifactsVolume, (string?)mount["source"]);
        Assert.Equal("/artifacts", (string?)mount["target"]);
        Assert.Null(services["app"]!["volumes"]);
        Assert.Null(services["redis"]!["volumes"]);
    }

    [Fact]
    public void The_stacks_networks_and_volumes_and_the_artifacts_volume_are_labelled()
    {
        var root = Override;

        Assert.Equal(["default", "backend"], root["networks"]!.AsObject().Select(network => network.Key));
        Assert.Equal(["data", ComposeOverride.ArtifactsVolume], root["volumes"]!.AsObject().Select(volume => volume.Key));
        Assert.All(root["networks"]!.AsObject().Concat(root["volumes"]!.AsObject()), entry => Assert.Equal("s1", (string?)entry.Value!["labels"]![SessionLabels.Session]));
    }
}

/// <summary>Each compose service in both reports: image, state, exit code, health; a hostile image name escaped.</summary>
public sealed class ComposeReportTests
{
    [Fact]
    public void Both_reports_list_every_compose_service_with_its_image_state_exit_code_and_health()
    {
        var report = RunReportTests.SampleReport(history => history with
        {
            ComposeServices = [new("redis", "c1", "dindbuild/redis:trixie", "running", 0, "unhealthy"), new("tests", "c2", "p-tests", "exited", 3, ""), new("evil", "c3", "<script>x</script>", "created", 0, "")],
        });

        var markdown = DindBuild.Reporting.MarkdownRunReport.Render(report);
        var html = DindBuild.Reporting.HtmlRunReport.Render(report);

        Assert.Contains("| Compose service redis | dindbuild/redis:trixie: running, unhealthy |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Compose service tests | p-tests: exited, exit code 3 |", markdown, StringComparison.Ordinal);
        Assert.Contains("<td>Compose service tests</td><td>p-tests: exited, exit code 3</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
    }
}
