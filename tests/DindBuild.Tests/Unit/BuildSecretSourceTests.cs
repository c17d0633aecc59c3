using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>--build-secret: parsing as <c>docker build --secret</c> writes it, the errors for bad input, and reading the value.</summary>
public sealed class BuildSecretSourceTests
{
    [Fact]
    public void Env_and_src_forms_parse_and_src_is_resolved_against_the_repository_root()
    {
        Assert.Equal(new BuildSecretSource("token", "NUGET_TOKEN", null), BuildSecretSource.Parse("id=token,env=NUGET_TOKEN", "/repo"));
        Assert.Equal(new BuildSecretSource("ca", null, "/repo/certs/ca.pem"), BuildSecretSource.Parse(" id=ca , src=certs/ca.pem", "/repo"));
        Assert.Equal(new BuildSecretSource("ca", null, "/etc/ca.pem"), BuildSecretSource.Parse("id=ca,source=/etc/ca.pem", "/repo"));
    }

    [Theory]
    [InlineData("id=a,file=/x", "the keys are id, env and src")]
    [InlineData("env=A", "has no id")]
    [InlineData("id=a", "exactly one source")]
    [InlineData("id=a,env=A,src=/x", "exactly one source")]
    [InlineData("id=a,id=b,env=A", "given twice")]
    [InlineData("id=,env=A", "has no value")]
    [InlineData("id=a/b,env=A", "must not hold slashes")]
    public void Bad_specs_are_format_errors_that_say_what_is_wrong(string text, string problem)
    {
        var error = Assert.Throws<FormatException>(() => BuildSecretSource.Parse(text, "/repo"));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_id_across_parameters_is_refused_with_every_other_problem_before_any_daemon()
    {
        var error = Assert.Throws<DindBuildException>(() => DindParameters.Read(
            "/repo",
            name => name == "build-secret" ? ["id=a,env=A", "id=a,src=/x", "id=b,nope=1"] : [],
            _ => null));

        Assert.Equal(FailureKind.BadParameters, error.Kind);
        Assert.Contains("--build-secret: the secret id 'a' is given twice", error.Evidence, StringComparison.Ordinal);
        Assert.Contains("'nope=1'", error.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_form_of_the_parameter_separates_secrets_with_semicolons()
    {
        var settings = DindParameters.Read("/repo", _ => [], name => name == "DINDBUILD_BUILD_SECRET" ? "id=a,env=A;id=b,src=b.txt" : null);

        Assert.Equal([new BuildSecretSource("a", "A", null), new BuildSecretSource("b", null, "/repo/b.txt")], settings.BuildSecrets);
    }

    [Fact]
    public void Values_are_read_from_the_variable_or_the_file_and_an_unset_variable_or_missing_file_says_which()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("s.txt"), "file-value\nsecond-line\n");
        var fromFile = BuildSecretSource.Parse($"id=f,src={directory.Combine("s.txt")}", "/");
        var fromEnv = BuildSecretSource.Parse("id=e,env=THE_VAR", "/");

        Assert.Equal("file-value\nsecond-line\n"u8.ToArray(), fromFile.Read(_ => null).Value.ToArray());
        Assert.Equal("env-value"u8.ToArray(), fromEnv.Read(name => name == "THE_VAR" ? "env-value" : null).Value.ToArray());
        Assert.Equal(["file-value\nsecond-line", "file-value", "second-line"], fromFile.MaskedValues(_ => null));
        Assert.Contains("THE_VAR is not set", Assert.Throws<DindBuildException>(() => fromEnv.Read(_ => null)).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", BuildSecretSource.Parse("id=m,src=/nonexistent/x", "/").Problem(_ => null), StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_never_shows_its_value_in_ToString()
    {
        var secret = new BuildSecret("token", "hunter2-value"u8.ToArray());

        Assert.Equal("build secret 'token' (13 bytes)", secret.ToString());
        Assert.DoesNotContain("hunter2", new ImageBuildSpec("t", "Dockerfile") { Secrets = [secret] }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_classic_builder_with_secrets_is_refused_naming_the_fix()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("Dockerfile"), "FROM scratch\n");
        File.WriteAllText(directory.Combine("s.txt"), "value");
        var settings = new DindSettings(directory.Path).WithContextDirectory(directory.Path).WithBuilder(BuilderChoice.Classic)
            .WithBuildSecret(BuildSecretSource.Parse("id=s,src=s.txt", directory.Path));

        var error = Assert.Throws<DindBuildException>(() => InputChecks.ThrowIfInvalid(settings, InputCheckScope.Build));

        Assert.Contains("--builder classic cannot pass build secrets", error.Message, StringComparison.Ordinal);
        Assert.Contains("use '--builder buildkit' or 'auto'", error.HowToFix, StringComparison.Ordinal);
    }
}
