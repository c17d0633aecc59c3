using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using DindBuild.Tls;
using Serilog;

namespace DindBuild.Tests.Unit;

public sealed class SecurityUnitTests
{
    [Theory]
    [InlineData("API_TOKEN", true)]
    [InlineData("db_password", true)]
    [InlineData("CLIENT_SECRET", true)]
    [InlineData("SSH_KEY", true)]
    [InlineData("GREETING", false)]
    [InlineData("SAMPLE_FAIL", false)]
    public void Secret_looking_names_are_recognised(string name, bool secret) =>
        Assert.Equal(secret, SecretMasker.LooksSecret(name));

    [Fact]
    public void Only_secret_looking_test_variables_and_registry_credentials_are_secrets()
    {
        var settings = new DindSettings("/repo")
            .WithTestEnvironment("API_TOKEN=tok-123456")
            .WithTestEnvironment("GREETING=hello")
            .WithRegistryCredentials(RegistryCredential.ParseAuthConfig(AuthConfig("registry.example:5000", "ci", "p4ssw0rd!")));

        var secrets = settings.Secrets.ToList();

        Assert.Contains("tok-123456", secrets);
        Assert.Contains("p4ssw0rd!", secrets);
        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes("ci:p4ssw0rd!")), secrets);
        Assert.DoesNotContain("hello", secrets);
    }

    [Fact]
    public void Masking_replaces_every_occurrence_longest_first_and_ignores_tiny_values()
    {
        var masker = new SecretMasker();
        masker.Add("abcd");
        masker.Add("abcdefgh");
        masker.Add("xy");

        Assert.Equal("*** and *** and xy", masker.Apply("abcdefgh and abcd and xy"));
    }

    [Fact]
    public void The_log_enricher_masks_properties_before_any_sink_sees_them()
    {
        var masker = new SecretMasker();
        masker.Add("hunter2-secret");
        var log = new CapturingLog(masker);

        log.Logger.Information("test │ {Line}", "password=hunter2-secret");
        log.Logger.Information("many {Values}", new[] { "a", "hunter2-secret" });

        Assert.DoesNotContain("hunter2-secret", log.Text, StringComparison.Ordinal);
        Assert.Contains("password=***", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void DOCKER_AUTH_CONFIG_is_read_as_the_docker_CLI_writes_it_and_nonsense_is_a_parameter_error()
    {
        var credentials = RegistryCredential.ParseAuthConfig(AuthConfig("ghcr.io", "me", "pa:ss"));

        Assert.Equal([new RegistryCredential("ghcr.io", "me", "pa:ss", null)], credentials);
        Assert.Throws<FormatException>(() => RegistryCredential.ParseAuthConfig("{\"auths\": {\"x\": {\"auth\": \"not-base64!\"}}}"));
        Assert.Throws<FormatException>(() => RegistryCredential.ParseAuthConfig("not json"));

        var fromEnvironment = DindParameters.Read("/repo", _ => [], name => name == "DOCKER_AUTH_CONFIG" ? AuthConfig("ghcr.io", "me", "pa:ss") : null);
        Assert.Single(fromEnvironment.RegistryCredentials);
    }

    [Fact]
    public void Certificates_name_the_daemon_carry_the_right_usages_and_chain_to_their_own_CA_only()
    {
        using var material = TlsMaterial.Generate("dindbuild-x", ["docker", "localhost"], [IPAddress.Loopback, IPAddress.Parse("172.18.0.2")]);
        using var other = TlsMaterial.Generate("other", ["localhost"], [IPAddress.Loopback]);

        var sans = material.Server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["docker", "localhost"], sans.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.Parse("172.18.0.2")], sans.EnumerateIPAddresses());
        Assert.Equal("1.3.6.1.5.5.7.3.1", material.Server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.Equal("1.3.6.1.5.5.7.3.2", material.Client.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.Equal("ECDsa", material.Client.GetECDsaPublicKey()!.GetType().BaseType!.Name);
        Assert.True(TestCertificates.ChainsTo(material.Client, material.Authority));
        Assert.False(TestCertificates.ChainsTo(other.Client, material.Authority));
    }

    [Fact]
    public void A_client_directory_is_private_and_laid_out_for_DOCKER_CERT_PATH()
    {
        using var root = new TempDirectory();
        using var material = TlsMaterial.Generate("d", ["docker"], [IPAddress.Loopback]);
        var directory = root.Combine("client");

        material.WriteClientDirectory(directory);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, "key.pem")));
        using var loaded = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "cert.pem"), Path.Combine(directory, "key.pem"));
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(["ca.pem", "cert.pem", "key.pem"], Directory.GetFiles(directory).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void The_sysbox_profile_asks_for_its_runtime_and_no_privileges()
    {
        var spec = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Sysbox, "d", "/s", "n", tls: true, sysboxRuntime: "sysbox-runc");

        Assert.Equal("sysbox-runc", spec.Runtime);
        Assert.False(spec.Privileged);
        Assert.Empty(spec.CapabilitiesToAdd);
        Assert.Empty(spec.SecurityOptions);
        Assert.False(spec.UnconfinedSystemPaths);
    }

    private static string AuthConfig(string registry, string user, string password) =>
        $"{{\"auths\": {{\"{registry}\": {{\"auth\": \"{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))}\"}}}}}}";
}
