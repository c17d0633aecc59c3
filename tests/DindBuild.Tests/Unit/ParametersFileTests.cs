using DindBuild.Diagnostics;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

public sealed class ParametersFileTests
{
    [Fact]
    public void The_file_sets_defaults_the_environment_overrides_it_and_the_command_line_overrides_both()
    {
        using var repository = new TempDirectory();
        File.WriteAllText(repository.Combine(ParametersFile.FileName), """
            {
              // comments are allowed
              "image-tag": "from-file:1",
              "privilege": "capabilities",
              "test-timeout": 90,
              "keep-daemon": true,
              "test-env": ["A=1", "B=2"],
            }
            """);

        var settings = DindParameters.Read(
            repository.Path,
            name => name == "privilege" ? ["privileged"] : [],
            name => name == "DINDBUILD_IMAGE_TAG" ? "from-env:2" : null);

        Assert.Equal("from-env:2", settings.ImageTag);
        Assert.Equal(PrivilegeProfile.Privileged, settings.PrivilegeProfile);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.TestTimeout);
        Assert.True(settings.KeepDaemon);
        Assert.Equal(["A=1", "B=2"], settings.TestEnvironment);
    }

    [Fact]
    public void Unknown_keys_are_named_with_the_nearest_valid_one_and_wrong_types_with_the_expected_type()
    {
        var failure = Assert.Throws<DindBuildException>(() => ParametersFile.Parse("""{"image-tagg": "x", "test-env": 5, "tls": 3}""", "dindbuild.json"));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("unknown key \"image-tagg\"; did you mean \"image-tag\"?", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("\"test-env\" must be an array of strings", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("\"tls\" must be true or false", failure.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void The_error_points_at_the_line_of_the_first_bad_key_for_CI_annotations()
    {
        var failure = Assert.Throws<DindBuildException>(() => ParametersFile.Parse("{\n  // defaults\n  \"context\": \"src\",\n  \"dind-imag\": \"x\",\n  \"tls\": 3\n}", "/repo/dindbuild.json"));

        Assert.Equal(new SourceLocation("/repo/dindbuild.json", 4), failure.Location);
        Assert.Equal(new SourceLocation("dindbuild.json", 4), failure.Location!.RelativeTo("/repo"));
        Assert.Null(failure.Location.RelativeTo("/elsewhere"));
    }

    [Fact]
    public void A_bad_value_in_the_file_is_reported_as_coming_from_the_file()
    {
        using var repository = new TempDirectory();
        File.WriteAllText(repository.Combine(ParametersFile.FileName), """{"privilege": "root"}""");

        var failure = Assert.Throws<DindBuildException>(() => DindParameters.Read(repository.Path, _ => [], _ => null));

        Assert.Contains("dindbuild.json \"privilege\": 'root' is not one of", failure.Evidence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dokcer-mode", "docker-mode")]
    [InlineData("test-comand", "test-command")]
    [InlineData("artifact-dir", "artifacts-dir")]
    public void Misspelt_keys_find_their_parameter(string key, string expected) =>
        Assert.Equal(expected, ParametersFile.Nearest(key));

    [Fact]
    public void Help_lists_every_parameter_with_its_default_environment_variable_and_file_key()
    {
        var help = DindParameters.Help("/repo");

        foreach (var parameter in DindParameters.All)
        {
            Assert.Contains($"  --{parameter.Name}", help, StringComparison.Ordinal);
            Assert.Contains($"environment: {parameter.EnvironmentVariable}; file key: \"{parameter.Name}\"", help, StringComparison.Ordinal);
        }
    }
}
