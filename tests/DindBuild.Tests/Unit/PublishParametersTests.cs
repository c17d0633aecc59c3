using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Settings;

namespace DindBuild.Tests.Unit;

/// <summary>PublishImage's parameters: what is pushed where, where an archive goes, and its own exit code.</summary>
public sealed class PublishParametersTests
{
    private static DindSettings Read(Dictionary<string, string[]> commandLine) =>
        DindParameters.Read("/repo", name => commandLine.TryGetValue(name, out var values) ? values : [], _ => null);

    [Fact]
    public void Publish_is_repeatable_and_asks_for_the_step_a_plain_run_does_not()
    {
        Assert.False(Read([]).PublishRequested);

        var settings = Read(new() { ["publish"] = ["registry.example.com:5000/team/app:1.2", "ghcr.io/org/app"], ["load-into-host"] = ["true"] });

        Assert.Equal(["registry.example.com:5000/team/app:1.2", "ghcr.io/org/app"], settings.PublishReferences);
        Assert.True(settings.LoadIntoHost);
        Assert.True(settings.PublishRequested);
    }

    [Theory]
    [InlineData("Team/App:1")]
    [InlineData("app@sha256:0123")]
    [InlineData("registry:5000/app:")]
    public void A_reference_docker_cannot_push_to_fails_before_any_daemon(string reference)
    {
        var error = Assert.Throws<DindBuildException>(() => Read(new() { ["publish"] = [reference] }));

        Assert.Equal(FailureKind.BadParameters, error.Kind);
        Assert.Contains("--publish", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_save_image_path_is_under_the_artifacts_directory()
    {
        Assert.Equal("/repo/out/image.tar", Read(new() { ["artifacts-dir"] = ["out"], ["save-image"] = ["image.tar"] }).SaveImagePath);
        Assert.Equal("/tmp/image.tar", Read(new() { ["save-image"] = ["/tmp/image.tar"] }).SaveImagePath);
    }

    [Fact]
    public void A_failed_publish_has_its_own_exit_code() =>
        Assert.Equal(6, ExitCodes.For(new DindBuildException(FailureKind.PublishFailed, "push failed")));

    [Theory]
    [InlineData("registry.test:5000/app", "registry.test:5000")]
    [InlineData("localhost/app", "localhost")]
    [InlineData("ghcr.io/org/app", "ghcr.io")]
    [InlineData("team/app", "docker.io")]
    [InlineData("app", "docker.io")]
    public void The_registry_of_a_reference_is_the_one_docker_pushes_to(string repository, string registry) =>
        Assert.Equal(registry, ImageReference.Parse(repository + ":1").Registry);

    [Fact]
    public void Registry_mirrors_and_insecure_registries_become_the_DinD_daemons_flags_before_daemon_arg()
    {
        var settings = Read(new()
        {
            ["registry-mirror"] = ["https://mirror.example.com:5000"],
            ["insecure-registry"] = ["registry.internal:5000", "10.0.0.0/8"],
            ["daemon-arg"] = ["--mtu=1400"],
        });

        Assert.Equal(
            ["--registry-mirror=https://mirror.example.com:5000", "--insecure-registry=registry.internal:5000", "--insecure-registry=10.0.0.0/8"],
            settings.RegistryDaemonArguments());
        Assert.Equal(["--mtu=1400"], settings.DaemonArguments);
    }

    [Theory]
    [InlineData("registry-mirror", "mirror.example.com")]
    [InlineData("registry-mirror", "https://mirror.example.com/v2/")]
    [InlineData("insecure-registry", "https://registry.internal")]
    public void A_registry_value_dockerd_would_refuse_fails_before_any_daemon(string name, string value) =>
        Assert.Equal(FailureKind.BadParameters, Assert.Throws<DindBuildException>(() => Read(new() { [name] = [value] })).Kind);
}
