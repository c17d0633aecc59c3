using DindBuild.Compose;
using DindBuild.Diagnostics;

namespace DindBuild.Tests.Unit;

/// <summary>What DindBuild reads from <c>docker compose config --format json</c>: services, images, builds, order, health.</summary>
public sealed class ComposeModelTests
{
    // The shape compose 2.26 prints for samples/compose-app/compose.yml, plus an external network and a named volume.
    private const string Config = """
        {
          "name": "dindbuild-abc123",
          "networks": {
            "default": { "name": "dindbuild-abc123_default", "ipam": {} },
            "shared": { "name": "shared", "ipam": {}, "external": true }
          },
          "services": {
            "app": {
              "build": { "context": "/work/repo/samples/compose-app", "dockerfile": "Dockerfile", "args": { "MODE": "test" } },
              "command": ["python3", "app.py"],
              "depends_on": { "redis": { "condition": "service_healthy", "required": true } },
              "healthcheck": { "test": ["CMD", "true"], "interval": "1s" },
              "networks": { "default": null }
            },
            "redis": {
              "image": "dindbuild/redis:trixie",
              "healthcheck": { "test": ["CMD", "redis-cli", "ping"], "interval": "1s", "retries": 30 },
              "volumes": [ { "type": "volume", "source": "data", "target": "/data", "volume": {} } ],
              "networks": { "default": null, "shared": null }
            },
            "tests": {
              "build": { "context": "/work/repo/samples/compose-app", "dockerfile": "Dockerfile", "target": "test" },
              "image": "team/tests:dev",
              "depends_on": { "app": { "condition": "service_healthy", "required": true }, "redis": { "condition": "service_started", "required": true } },
              "healthcheck": { "disable": true },
              "volumes": [ { "type": "bind", "source": "/work/repo/samples/compose-app/tests", "target": "/app/tests", "read_only": true, "bind": { "create_host_path": true } } ]
            }
          },
          "volumes": { "data": { "name": "dindbuild-abc123_data" } }
        }
        """;

    private static ComposeModel Model => ComposeModel.Parse(Config, "dindbuild-abc123");

    [Fact]
    public void Every_service_is_read_with_its_image_build_order_and_health()
    {
        var model = Model;

        Assert.Equal(["app", "redis", "tests"], model.Services.Select(service => service.Name));
        var app = model.Find("app")!;
        Assert.Null(app.Image);
        Assert.Equal("/work/repo/samples/compose-app", app.Build!.Context);
        Assert.Equal("Dockerfile", app.Build.Dockerfile);
        Assert.Equal("test", app.Build.Args["MODE"]);
        Assert.Equal("service_healthy", app.DependsOn["redis"]);
        Assert.True(app.HasHealthcheck);

        var tests = model.Find("tests")!;
        Assert.Equal("test", tests.Build!.Target);
        Assert.Equal("service_started", tests.DependsOn["redis"]);
        Assert.False(tests.HasHealthcheck);
        Assert.Equal(["/work/repo/samples/compose-app/tests"], tests.BindSources);
        Assert.Empty(model.Find("redis")!.BindSources);
    }

    [Fact]
    public void A_built_service_runs_its_own_image_name_or_the_one_compose_gives_it_and_only_images_not_built_are_seeded()
    {
        var model = Model;

        Assert.Equal("dindbuild-abc123-app", model.Find("app")!.ImageFor(model.Project));
        Assert.Equal("team/tests:dev", model.Find("tests")!.ImageFor(model.Project));
        Assert.Equal(["dindbuild/redis:trixie"], model.ImagesToSeed());
    }

    [Fact]
    public void External_networks_are_not_the_stacks_to_label_and_its_own_networks_and_volumes_are()
    {
        var model = Model;

        Assert.Equal(["default"], model.Networks);
        Assert.Equal(["data"], model.Volumes);
    }

    [Fact]
    public void Builds_of_the_same_context_dockerfile_target_and_args_share_a_key_and_others_do_not()
    {
        var model = ComposeModel.Parse(Config, "p");
        var again = ComposeModel.Parse(Config, "p");

        Assert.Equal(model.Find("app")!.Build!.Key, again.Find("app")!.Build!.Key);
        Assert.NotEqual(model.Find("app")!.Build!.Key, model.Find("tests")!.Build!.Key);
    }

    [Fact]
    public void An_inline_dockerfile_is_refused_naming_the_service()
    {
        var failure = Assert.Throws<DindBuildException>(() => ComposeModel.Parse("""{"services":{"web":{"build":{"context":"/x","dockerfile_inline":"FROM scratch"}}}}""", "p"));

        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Contains("'web'", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("dockerfile_inline", failure.Evidence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("compose: command not found")]
    [InlineData("""{"name":"p"}""")]
    [InlineData("[]")]
    public void Output_that_is_not_a_compose_model_is_an_error_that_shows_it(string output)
    {
        var failure = Assert.Throws<DindBuildException>(() => ComposeModel.Parse(output, "p"));

        Assert.Contains("docker compose config --format json", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains(output, failure.Evidence, StringComparison.Ordinal);
    }
}
