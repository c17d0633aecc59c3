using System.Text;
using DindBuild.Diagnostics;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary><c>--docker-auth-config</c> as a credentials file (what <c>docker login</c> writes) beside config.json text.</summary>
public sealed class RegistryCredentialFileTests
{
    private static string AuthConfig(string registry, string user, string password) =>
        System.Text.Json.JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [registry] = new { auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")) } } });

    [Fact]
    public void A_path_is_read_as_a_config_json_file_relative_to_the_repository_root_and_its_secrets_are_masked()
    {
        using var repository = new TempDirectory();
        Directory.CreateDirectory(repository.Combine("ci"));
        File.WriteAllText(repository.Combine("ci/config.json"), AuthConfig("registry.test:5000", "ci", "f1le-secret"));

        var settings = DindParameters.Read(repository.Path, name => name == "docker-auth-config" ? ["ci/config.json"] : [], _ => null);

        Assert.Equal([new RegistryCredential("registry.test:5000", "ci", "f1le-secret", null)], settings.RegistryCredentials);
        Assert.Contains("f1le-secret", settings.Secrets);
    }

    [Fact]
    public void A_missing_file_and_a_helper_only_config_are_parameter_errors_that_say_why()
    {
        using var repository = new TempDirectory();
        File.WriteAllText(repository.Combine("helper.json"), """{"auths":{"ghcr.io":{}},"credsStore":"desktop"}""");
        DindSettings Read(string value) => DindParameters.Read(repository.Path, name => name == "docker-auth-config" ? [value] : [], _ => null);

        var missing = Assert.Throws<DindBuildException>(() => Read("ci/none.json"));
        var helper = Assert.Throws<DindBuildException>(() => Read("helper.json"));

        Assert.Equal(FailureKind.BadParameters, missing.Kind);
        Assert.Contains(repository.Combine("ci/none.json"), missing.Evidence, StringComparison.Ordinal);
        Assert.Contains("credential helper", helper.Evidence, StringComparison.Ordinal);
        Assert.Contains(repository.Combine("helper.json"), helper.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_that_is_neither_text_nor_a_path_is_not_echoed_since_it_may_be_a_secret()
    {
        var error = Assert.Throws<DindBuildException>(() => DindParameters.Read("/repo", name => name == "docker-auth-config" ? ["hunter2hunter2"] : [], _ => null));

        Assert.DoesNotContain("hunter2hunter2", error.Evidence, StringComparison.Ordinal);
        Assert.Contains("may be a secret", error.Evidence, StringComparison.Ordinal);
    }
}
