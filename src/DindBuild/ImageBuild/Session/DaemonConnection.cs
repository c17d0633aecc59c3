using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DindBuild.Docker;

namespace DindBuild.ImageBuild.Session;

/// <summary>
/// A raw byte stream to a daemon's API, as the docker CLI opens it for a hijacked request: the unix socket, plain TCP,
/// or TCP with mutual TLS from a <c>DOCKER_CERT_PATH</c>-style directory (the server verified against its ca.pem only).
/// </summary>
internal static class DaemonConnection
{
    public static async Task<Stream> OpenAsync(DockerEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (endpoint.UnixSocketPath is { } path)
        {
            var unix = await SocketPolicy.DaemonSocket.ConnectAsync(path, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(unix, ownsSocket: true);
        }

        if (endpoint.Uri.Scheme is not ("tcp" or "http" or "https"))
        {
            throw new NotSupportedException($"A BuildKit session cannot be opened to {endpoint}: only unix:// and tcp:// endpoints are supported.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint.Uri.Host, endpoint.Uri.Port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var network = new NetworkStream(socket, ownsSocket: true);
        if (endpoint.TlsCertificateDirectory is not { } certificates)
        {
            return network;
        }

        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(Path.Combine(certificates, "ca.pem"));
            using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(certificates, "cert.pem"), Path.Combine(certificates, "key.pem"));

            // An ephemeral key from PEM cannot be used by SslStream on every platform: round-trip it through PKCS#12.
            var client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            var chain = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            chain.CustomTrustStore.AddRange(authorities);
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = endpoint.Uri.Host,
                    ClientCertificates = [client],
                    CertificateChainPolicy = chain,
                },
                cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
