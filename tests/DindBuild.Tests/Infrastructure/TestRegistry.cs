using System.Net;
using System.Security.Cryptography.X509Certificates;
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
    /// With <paramref name="login"/>, basic auth (htpasswd, bcrypt) for that one user; without, anyone may push and pull.
    /// </summary>
    public static async Task<(string Container, string Published)> StartAsync(Harness harness, string registryName, string caFile, (string User, string Password)? login = null)
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
        var started = await harness.RunAsync(container, RunArguments(certificates, login));
        Assert.True(started.ExitCode == 0, started.StandardError);
        var published = (await DockerCli.OutputAsync(["port", container, $"{Port}/tcp"])).Split('\n')[0].Trim();
        await WaitUntilServingAsync(container, published, ca);
        return (container, published);
    }

    /// <summary>
    /// Until the registry answers <c>GET /v2/</c> over TLS with the test CA's certificate (200, or 401 with a login):
    /// <c>docker run -d</c> returns when the process starts, and docker-proxy accepts on the published port before the
    /// registry listens, so a push made at once saw <c>Get "http://127.0.0.1:PORT/v2/": EOF</c> (CI, stop 27).
    /// </summary>
    private static async Task WaitUntilServingAsync(string container, string published, X509Certificate2 ca)
    {
        using var handler = new SocketsHttpHandler();
        // The certificate names the registry's network alias, not 127.0.0.1: the chain to the test CA is what counts.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 served && TestCertificates.ChainsTo(served, ca);
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync($"https://{published}/v2/", TestContext.Current.CancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                last = e.Message;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        var logs = await DockerCli.RunAsync(["logs", container]);
        Assert.Fail($"The test registry {container} did not serve https://{published}/v2/ within 60 s (last: {last}). Its log:\n{logs.StandardOutput}{logs.StandardError}");
    }

    /// <summary>
    /// <c>docker run</c> flags for a registry serving TLS with the certificate and key in <paramref name="certificateDirectory"/>
    /// (cert.pem, key.pem), with basic auth for <paramref name="login"/> (an htpasswd file beside them) or without
    /// authentication (Debian's own configuration asks for an htpasswd login, so ours replaces it either way).
    /// </summary>
    public static IReadOnlyList<string> RunArguments(string certificateDirectory, (string User, string Password)? login = null)
    {
        var auth = "";
        if (login is var (user, password))
        {
            // The registry checks bcrypt only; the lowest cost keeps each of a push's many requests cheap.
            File.WriteAllText(Path.Combine(certificateDirectory, "htpasswd"), $"{user}:{BCrypt.Net.BCrypt.HashPassword(password, workFactor: 4)}\n");
            auth = $"""

                auth:
                  htpasswd:
                    realm: dindbuild-test-registry
                    path: {CertificateDirectory}/htpasswd
                """;
        }

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
            """ + auth);
        return
        [
            "-p", $"127.0.0.1::{Port}",
            "-v", $"{certificateDirectory}:{CertificateDirectory}:ro",
            Recipe.ImageName,
            "docker-registry", "serve", $"{CertificateDirectory}/config.yml",
        ];
    }

    /// <summary>
    /// The session network of <paramref name="sessionId"/> gets the registry as <paramref name="alias"/> as soon as the
    /// network exists: a <c>./build.sh</c> run makes it at StartDaemon and pushes minutes later. Awaited at the end.
    /// </summary>
    public static async Task JoinSessionNetworkAsync(string container, string sessionId, string alias, Task<BuildScriptResult> run)
    {
        var network = DindBuild.Sessions.SessionNames.Network(sessionId);
        while (!run.IsCompleted)
        {
            var connected = await DockerCli.RunAsync(["network", "connect", "--alias", alias, network, container]);
            if (connected.ExitCode == 0)
            {
                return;
            }

            await Task.WhenAny(run, Task.Delay(200, TestContext.Current.CancellationToken));
        }
    }
}
