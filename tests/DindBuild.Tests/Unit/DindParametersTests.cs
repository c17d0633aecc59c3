using DindBuild.Diagnostics;
using DindBuild.Settings;

namespace DindBuild.Tests.Unit;

public sealed class DindParametersTests
{
    private const string Root = "/repo";

    private static DindSettings Read(Dictionary<string, string[]>? commandLine = null, Dictionary<string, string>? environment = null) =>
        DindParameters.Read(
            Root,
            name => commandLine is not null && commandLine.TryGetValue(name, out var values) ? values : [],
            name => environment is not null && environment.TryGetValue(name, out var value) ? value : null);

    [Fact]
    public void Defaults_build_and_test_the_sample()
    {
        var settings = Read();

        Assert.Equal("/repo/samples/calculator", settings.ContextDirectory);
        Assert.Equal("Dockerfile", settings.Dockerfile);
        Assert.Equal("/artifacts", settings.ContainerArtifactsPath);
        Assert.Equal("/repo/artifacts", settings.HostArtifactsDirectory);
        Assert.Equal(DockerMode.Auto, settings.DockerMode);
        Assert.Equal(PrivilegeProfile.Auto, settings.PrivilegeProfile);
        Assert.Equal(DindSettings.DefaultDindImage, settings.DindImage);
        Assert.False(settings.KeepDaemon);
        Assert.Matches("^[0-9a-f]{12}$", settings.SessionId);
    }

    [Fact]
    public void The_command_line_overrides_the_environment_which_overrides_the_default()
    {
        var settings = Read(
            new() { ["privilege"] = ["capabilities"] },
            new() { ["DINDBUILD_PRIVILEGE"] = "privileged", ["DINDBUILD_DAEMON_TIMEOUT"] = "90s", ["DINDBUILD_IMAGE_TAG"] = "app:ci" });

        Assert.Equal(PrivilegeProfile.Capabilities, settings.PrivilegeProfile);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.DaemonStartTimeout);
        Assert.Equal("app:ci", settings.ImageTag);
    }

    [Fact]
    public void Relative_paths_resolve_against_the_repository_root()
    {
        var settings = Read(new() { ["context"] = ["src/app"], ["artifacts-dir"] = ["out/reports"] });

        Assert.Equal("/repo/src/app", settings.ContextDirectory);
        Assert.Equal("/repo/out/reports", settings.HostArtifactsDirectory);
    }

    [Fact]
    public void Repeatable_parameters_collect_every_value_and_the_environment_separates_them_with_semicolons()
    {
        var fromCommandLine = Read(new() { ["build-arg"] = ["A=1", "B=x=y"], ["test-env"] = ["SAMPLE_FAIL=1"] });
        var fromEnvironment = Read(environment: new() { ["DINDBUILD_TEST_ENV"] = "A=1;B=2" });

        Assert.Equal("1", fromCommandLine.BuildArgs["A"]);
        Assert.Equal("x=y", fromCommandLine.BuildArgs["B"]);
        Assert.Equal(["SAMPLE_FAIL=1"], fromCommandLine.TestEnvironment);
        Assert.Equal(["A=1", "B=2"], fromEnvironment.TestEnvironment);
    }

    [Fact]
    public void A_bare_switch_means_true()
    {
        Assert.True(Read(new() { ["keep-daemon"] = [""] }).KeepDaemon);
        Assert.False(Read(new() { ["keep-daemon"] = ["false"] }).KeepDaemon);
    }

    [Fact]
    public void Every_invalid_value_is_reported_at_once_with_where_it_came_from()
    {
        var failure = Assert.Throws<DindBuildException>(() => Read(
            new() { ["privilege"] = ["superuser"], ["artifacts-path"] = ["relative/path"], ["image-tag"] = ["a", "b"] },
            new() { ["DINDBUILD_TEST_TIMEOUT"] = "soon" }));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("4 parameters are invalid", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--privilege: 'superuser' is not one of auto|privileged|capabilities|sysbox", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--artifacts-path: 'relative/path' must be an absolute path", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--image-tag was given 2 times", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("DINDBUILD_TEST_TIMEOUT: 'soon' is not a duration", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--help", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_parameter_has_a_distinct_name_environment_variable_and_description()
    {
        Assert.Equal(DindParameters.All.Length, DindParameters.All.Select(p => p.Name).Distinct().Count());
        Assert.All(DindParameters.All, p => Assert.Matches("^DINDBUILD_[A-Z_]+$", p.EnvironmentVariable));
        Assert.All(DindParameters.All, p => Assert.False(string.IsNullOrWhiteSpace(p.Description)));
        Assert.All(DindParameters.All, p => Assert.False(string.IsNullOrWhiteSpace(p.DefaultText(new DindSettings(Root)))));
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("250ms", 0.25)]
    [InlineData("42", 42)]
    public void Durations_read_as_CI_users_write_them(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ParameterValues.Duration(text));

    [Theory]
    [InlineData("500MiB", 500L * 1024 * 1024)]
    [InlineData("2GiB", 2L * 1024 * 1024 * 1024)]
    [InlineData("2G", 2L * 1024 * 1024 * 1024)]
    [InlineData("1024", 1024L)]
    public void Sizes_read_with_binary_units(string text, long bytes) =>
        Assert.Equal(bytes, ParameterValues.Size(text));

    [Theory]
    [InlineData("-5s")]
    [InlineData("fast")]
    [InlineData("")]
    public void Nonsense_durations_are_refused(string text) =>
        Assert.Throws<FormatException>(() => ParameterValues.Duration(text));

    [Fact]
    public void The_artifacts_entry_limit_defaults_to_100000_and_is_read_like_every_parameter()
    {
        Assert.Equal(100_000, Read().ArtifactsMaxEntries);
        Assert.Equal(500, Read(new() { ["artifacts-max-entries"] = ["500"] }).ArtifactsMaxEntries);
        Assert.Equal(7, Read(environment: new() { ["DINDBUILD_ARTIFACTS_MAX_ENTRIES"] = "7" }).ArtifactsMaxEntries);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("many")]
    [InlineData("1e3")]
    public void A_nonsense_entry_limit_is_refused_naming_the_parameter(string value)
    {
        var ex = Assert.Throws<DindBuildException>(() => Read(new() { ["artifacts-max-entries"] = [value] }));

        Assert.Equal(FailureKind.BadParameters, ex.Kind);
        Assert.Contains($"--artifacts-max-entries: '{value}' is not a number of entries", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_socket_policy_is_strict_unless_permissive_is_asked_for()
    {
        Assert.Equal(TestSocketPolicy.Strict, Read().SocketPolicy);
        Assert.Equal(TestSocketPolicy.Permissive, Read(new() { ["socket-policy"] = ["permissive"] }).SocketPolicy);
        Assert.Equal(TestSocketPolicy.Permissive, Read(environment: new() { ["DINDBUILD_SOCKET_POLICY"] = "Permissive" }).SocketPolicy);
        Assert.Equal(TestSocketPolicy.Strict, new DindSettings(Root).WithSocketPolicy(TestSocketPolicy.Permissive).WithSocketPolicy(TestSocketPolicy.Strict).SocketPolicy);

        var failure = Assert.Throws<DindBuildException>(() => Read(new() { ["socket-policy"] = ["off"] }));
        Assert.Contains("--socket-policy: 'off' is not one of strict|permissive", failure.Evidence, StringComparison.Ordinal);
    }
}
