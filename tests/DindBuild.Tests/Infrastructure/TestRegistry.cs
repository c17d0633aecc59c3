using DindBuild.Docker;
using DindBuild.Provisioning;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// A Docker registry (Debian trixie's docker-registry 2.8) for tests, built from Debian packages like the other
/// offline images (built once, then reused: its recipe's fingerprint is a label), serving TLS with a test's certificate.
/// </summary>
internal static class TestRegistry
{
    public const int Port = 5000;

    private const string CertificateDirectory = "/certs";

    public static ImageRecipe Recipe { get; } = new(
        "dindbuild/registry:trixie",
        "trixie",
        ["docker-registry", "ca-certificates"],
        ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CMD [\"docker-registry\", \"serve\", \"/etc/docker/registry/config.yml\"]"]);

    public static async Task<string> EnsureImageAsync()
    {
        using var host = DockerEngine.Connect(DockerEndpoint.DefaultUnixSocket);
        return await new RootfsImageBuilder(EngineFixture.Log).EnsureAsync(host, Recipe, TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// A running registry (removed with the harness) whose certificate, signed by a fresh test CA, names
    /// <paramref name="registryName"/>; the CA is written to <paramref name="caFile"/>. Returns the container and the
    /// 127.0.0.1:PORT it is published at (which the host engine takes as an insecure registry: it needs no CA there).
    /// </summary>
    public static async Task<(string Container, string Published)> StartAsync(Harness harness, string registryName, string caFile)
    {
        using var ca = TestCertificates.SelfSigned("DindBuild test registry CA");
        using var server = TestCertificates.Server(ca, registryName);
        var certificates = harness.PrivateDirectory("registry-certs");
        File.SetUnixFileMode(certificates, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        await File.WriteAllTextAsync(Path.Combine(certificates, "cert.pem"), TestCertificates.Pem(server));
        await File.WriteAllTextAsync(Path.Combine(certificates, "key.pem"), TestCertificates.KeyPem(server));
        await File.WriteAllTextAsync(caFile, TestCertificates.Pem(ca));

        await EnsureImageAsync();
        var container = $"dindbuild-registry-{harness.Id}";
        var started = await harness.RunAsync(container, RunArguments(certificates));
        Assert.True(started.ExitCode == 0, started.StandardError);
        var published = (await DockerCli.OutputAsync(["port", container, $"{Port}/tcp"])).Split('\n')[0].Trim();
        return (container, published);
    }

    /// <summary>
    /// <c>docker run</c> flags for a registry serving TLS with the certificate and key in <paramref name="certificateDirectory"/>
    /// (cert.pem, key.pem), without authentication: Debian's own configuration asks for an htpasswd login.
    /// </summary>
    public static IReadOnlyList<string> RunArguments(string certificateDirectory)
    {
        File.WriteAllText(Path.Combine(certificateDirectory, "config.yml"), $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: /var/lib/docker-registry
            http:
              addr: :{Port}
              tls:
                certificate: {CertificateDirectory}/cert.pem
                key: {CertificateDirectory}/key.pem
            """);
        return
        [
            "-p", $"127.0.0.1::{Port}",
            "-v", $"{certificateDirectory}:{CertificateDirectory}:ro",
            Recipe.ImageName,
            "docker-registry", "serve", $"{CertificateDirectory}/config.yml",
        ];
    }
}
