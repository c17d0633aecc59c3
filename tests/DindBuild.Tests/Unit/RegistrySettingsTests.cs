using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// --registry-ca (checked before any daemon, installed as the DinD daemon's certs.d), --registry-mirror in the
/// missing-image error, and what a daemon DindBuild does not start is told about these settings.
/// </summary>
public sealed class RegistrySettingsTests : IDisposable
{
    private readonly TempDirectory _repository = new();
    private readonly FakeSessionHost _host = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _host.Dispose();
        _repository.Dispose();
    }

    private DindSettings Read(params string[] registryCas) =>
        DindParameters.Read(_repository.Path, name => name == "registry-ca" ? registryCas : [], _ => null);

    private void WriteCa(string name)
    {
        using var ca = TestCertificates.SelfSigned("registry CA " + name);
        File.WriteAllText(_repository.Combine(name), TestCertificates.Pem(ca));
    }

    [Fact]
    public void Registry_CAs_are_read_per_host_relative_to_the_repository_and_a_second_CA_for_a_host_joins_the_first()
    {
        WriteCa("a.pem");
        WriteCa("b.pem");

        var settings = Read("registry.internal:5000=a.pem", "registry.internal:5000=b.pem", "ghcr.example=a.pem");

        Assert.Equal(["registry.internal:5000", "ghcr.example"], settings.RegistryCas.Select(registry => registry.Host));
        Assert.Equal(2, settings.RegistryCas[0].Certificates.Count);
    }

    [Theory]
    [InlineData("registry.internal:5000", "HOST=FILE")]
    [InlineData("https://registry.internal=ca.pem", "not a registry host[:port]")]
    [InlineData("registry.internal/v2=ca.pem", "not a registry host[:port]")]
    [InlineData("registry.internal=missing.pem", "does not exist")]
    [InlineData("registry.internal=key.pem", "holds no certificate")]
    [InlineData("registry.internal=server.pem", "not a CA")]
    public void A_bad_registry_CA_is_a_parameter_error_before_any_daemon_that_says_what_is_wrong(string value, string why)
    {
        WriteCa("ca.pem");
        using (var ca = TestCertificates.SelfSigned("ca"))
        using (var server = TestCertificates.Server(ca, "registry.internal"))
        {
            File.WriteAllText(_repository.Combine("server.pem"), TestCertificates.Pem(server));
            File.WriteAllText(_repository.Combine("key.pem"), TestCertificates.KeyPem(server));
        }

        var error = Assert.Throws<DindBuildException>(() => Read(value));

        Assert.Equal(FailureKind.BadParameters, error.Kind);
        Assert.Equal(2, ExitCodes.For(error));
        Assert.Contains("--registry-ca", error.Evidence, StringComparison.Ordinal);
        Assert.Contains(why, error.Evidence, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Registry_CAs_reach_dockerd_through_the_entry_script_which_copies_them_into_certs_d_before_dockerd_starts()
    {
        var with = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Privileged, "data", "/tmp/sock", "net", tls: true, registryCas: true);
        var without = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Privileged, "data", "/tmp/sock", "net", tls: true);

        Assert.Contains("DINDBUILD_CERTS_D=/run/dindbuild/certs.d", with.Environment);
        Assert.DoesNotContain(without.Environment, variable => variable.StartsWith("DINDBUILD_CERTS_D=", StringComparison.Ordinal));
        var script = EntrypointScript.Text;
        var copy = script.IndexOf("cp -R \"$DINDBUILD_CERTS_D/.\" /etc/docker/certs.d/", StringComparison.Ordinal);
        Assert.True(copy > 0);
        Assert.True(copy < script.IndexOf("exec dockerd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Docker_Hub_image_a_mirror_did_not_serve_fails_SeedImages_naming_the_mirror_and_how_to_check_it()
    {
        var (saved, _, _, _) = _host.SavedDind();
        File.WriteAllText(Path.Combine(_host.Options().ContextDirectory, "Dockerfile"), "FROM mirrored:1\nCOPY --from=private.example/tools:2 /x /x\n");
        var options = _host.Options(DockerMode.Dind).WithRegistryMirror("https://mirror.test:5000");
        await using var session = _host.Continue(saved, options, Serilog.Core.Logger.None);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.SeedImagesAsync(Cancel));

        var lines = failure.Evidence!.Split('\n');
        Assert.Contains(lines, line => line.StartsWith("mirrored:1 ", StringComparison.Ordinal) && line.Contains("from its registry mirror https://mirror.test:5000 nor from Docker Hub", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("private.example/tools:2 ", StringComparison.Ordinal) && !line.Contains("mirror", StringComparison.Ordinal));
        Assert.Contains("has it — a Docker Hub image NAME is asked for there as library/NAME", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("--registry-ca HOST=FILE", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dood_says_the_registry_settings_are_not_applied_to_a_daemon_DindBuild_does_not_start_and_where_they_go()
    {
        WriteCa("ca.pem");
        _host.Engines.Add(FakeSessionHost.HostSocket);
        var log = new CapturingLog(new SecretMasker());
        var options = _host.Options(DockerMode.Dood)
            .WithRegistryCa(Trust.RegistryCa.Parse("registry.internal:5000=ca.pem", path => _repository.Combine(path), DateTimeOffset.UtcNow))
            .WithRegistryMirror("https://mirror.test")
            .WithInsecureRegistry("plain.internal:5000");
        await using var session = DindSession.Create(options, log.Logger, _host.Services());

        await session.StartDaemonAsync(Cancel);

        var warning = Assert.Single(log.Text.Split('\n'), line => line.Contains("Not applied in dood mode", StringComparison.Ordinal));
        Assert.Contains("/etc/docker/certs.d/registry.internal:5000/ca.crt", warning, StringComparison.Ordinal);
        Assert.Contains("--registry-mirror https://mirror.test", warning, StringComparison.Ordinal);
        Assert.Contains("--insecure-registry plain.internal:5000", warning, StringComparison.Ordinal);
    }
}
