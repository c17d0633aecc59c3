using Docker.DotNet;
using Docker.DotNet.NativeHttp;
using Docker.DotNet.X509;

namespace DindBuild.Docker;

/// <summary><see cref="IDockerEngine"/> over Docker.DotNet.Enhanced; the only place that knows that library.</summary>
public sealed class DockerEngine : IDockerEngine
{
    private readonly DockerClient _client;

    private DockerEngine(DockerEndpoint endpoint, DockerClient client)
    {
        Endpoint = endpoint;
        _client = client;
        System = new DockerDotNetSystem(client);
        Containers = new DockerDotNetContainers(client);
        Images = new DockerDotNetImages(client, endpoint);
        Volumes = new DockerDotNetVolumes(client);
        Networks = new DockerDotNetNetworks(client);
    }

    public DockerEndpoint Endpoint { get; }

    public IDockerSystem System { get; }

    public IDockerContainers Containers { get; }

    public IDockerImages Images { get; }

    public IDockerVolumes Volumes { get; }

    public IDockerNetworks Networks { get; }

    /// <summary>
    /// A client for <paramref name="endpoint"/>. No API version is pinned: the client then speaks the
    /// daemon's own version, which works from Docker 20.10 (API 1.41) up.
    /// </summary>
    public static DockerEngine Connect(DockerEndpoint endpoint)
    {
        var builder = new DockerClientBuilder().WithEndpoint(endpoint.Uri);
        if (endpoint.TlsCertificateDirectory is { } certificates)
        {
            var tls = DockerTlsCertificates.LoadFromDirectory(certificates, true, "ca.pem", "cert.pem", "key.pem");
            builder = builder.WithAuthProvider(tls.CreateCredentials());
        }

        // TCP: the native HTTP transport keeps TLS connections alive; the legacy one makes a handshake per request.
        var client = endpoint.Uri.Scheme == "tcp" ? builder.WithTransportOptions(new NativeHttpTransportOptions()).Build() : builder.Build();
        return new DockerEngine(endpoint, client);
    }

    public void Dispose() => _client.Dispose();
}
