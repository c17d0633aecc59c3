namespace DindBuild.Docker;

/// <summary>
/// Where a Docker engine answers: a unix socket or a TCP address, optionally with the
/// <c>DOCKER_CERT_PATH</c>-style directory (ca.pem, cert.pem, key.pem) for mutual TLS.
/// </summary>
public sealed record DockerEndpoint(Uri Uri, string? TlsCertificateDirectory = null)
{
    public const string DefaultUnixSocketPath = "/var/run/docker.sock";

    public static DockerEndpoint DefaultUnixSocket { get; } = UnixSocket(DefaultUnixSocketPath);

    public static DockerEndpoint UnixSocket(string socketPath) => new(new Uri("unix://" + socketPath));

    /// <summary>The unix socket path, or null for a TCP endpoint.</summary>
    public string? UnixSocketPath => Uri.Scheme == "unix" ? Uri.AbsolutePath : null;

    /// <summary>The endpoint as the docker CLI's <c>DOCKER_HOST</c> spells it.</summary>
    public string DockerHost => Uri.Scheme == "unix" ? "unix://" + Uri.AbsolutePath : Uri.GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// The environment with which the docker CLI (or any client) reaches this endpoint — the inverse
    /// of <see cref="FromEnvironment"/>: DOCKER_HOST, plus DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS.
    /// </summary>
    public Dictionary<string, string> ClientEnvironment()
    {
        var environment = new Dictionary<string, string> { ["DOCKER_HOST"] = DockerHost };
        if (TlsCertificateDirectory is { } certificates)
        {
            environment["DOCKER_TLS_VERIFY"] = "1";
            environment["DOCKER_CERT_PATH"] = certificates;
        }

        return environment;
    }

    public override string ToString() =>
        TlsCertificateDirectory is null ? DockerHost : $"{DockerHost} (TLS certificates in {TlsCertificateDirectory})";

    /// <summary>
    /// The endpoint the docker CLI would use from this environment: <c>DOCKER_HOST</c> (with
    /// <c>DOCKER_CERT_PATH</c> when <c>DOCKER_TLS_VERIFY</c> is set), else the default socket.
    /// </summary>
    public static DockerEndpoint FromEnvironment(Func<string, string?> environment)
    {
        var host = environment("DOCKER_HOST");
        if (string.IsNullOrWhiteSpace(host))
        {
            return DefaultUnixSocket;
        }

        var uri = new Uri(host);
        var tlsVerify = environment("DOCKER_TLS_VERIFY");
        var tls = !string.IsNullOrEmpty(tlsVerify) && tlsVerify != "0";
        var certPath = environment("DOCKER_CERT_PATH");
        if (tls && string.IsNullOrWhiteSpace(certPath))
        {
            certPath = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        }

        return new DockerEndpoint(uri, tls ? certPath : null);
    }
}
