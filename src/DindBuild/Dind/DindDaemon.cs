using DindBuild.Docker;
using DindBuild.Settings;

namespace DindBuild.Dind;

/// <summary>A DinD daemon started for one session, and how to reach it from the build host.</summary>
public sealed record DindDaemon(
    string ContainerId,
    string ContainerName,
    string Image,
    PrivilegeProfile Profile,
    string DataVolume,
    string SocketDirectory,
    string Network)
{
    /// <summary>Where the DinD container's dockerd also listens; bind-mounted from <see cref="SocketDirectory"/>.</summary>
    public const string SocketDirectoryInContainer = "/run/dindbuild";

    /// <summary>The socket policy proxy's socket as the DinD container sees it (<see cref="Sessions.SessionNames.PolicySocket"/> on the host).</summary>
    public const string PolicySocketInContainer = SocketDirectoryInContainer + "/proxy.sock";

    /// <summary>The server's certificate and key, under <see cref="SocketDirectory"/>: the container sees them the moment they are written.</summary>
    public const string ServerCertificateSubdirectory = "server";

    /// <summary>The extra CA bundle for the daemon's pulls (<c>--extra-ca-cert</c>), under <see cref="SocketDirectory"/>.</summary>
    public const string CaSubdirectory = "ca";

    /// <summary>Per-registry CAs (<c>--registry-ca</c>) as <c>HOST/ca.crt</c>, under <see cref="SocketDirectory"/>: copied to dockerd's certs.d before it starts.</summary>
    public const string CertsDSubdirectory = "certs.d";

    /// <summary>Whether the daemon was started to run its containers in a user namespace (<c>--userns-remap</c>).</summary>
    public bool InnerUserns { get; init; }

    /// <summary>Why the daemon runs its containers without a user namespace, when it does; null when it runs them in one.</summary>
    public string? InnerUsernsOffReason { get; init; }

    /// <summary>The mutual-TLS endpoint published on the host's loopback, as HOST:PORT; null with TLS off.</summary>
    public string? TlsAddress { get; init; }

    /// <summary>The volume the container mounts to save its data root into at teardown (a build snapshot); null for none.</summary>
    public string? BuildSnapshotVolume { get; init; }

    /// <summary>What the save writes last into <see cref="BuildSnapshotVolume"/>; null when this daemon's data root must not be saved (its key no longer holds).</summary>
    public string? BuildSnapshotMarker { get; init; }

    /// <summary>The client's DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), inside the private socket directory.</summary>
    public string ClientCertificateDirectory => Path.Combine(SocketDirectory, "client");

    public string ServerCertificateDirectory => Path.Combine(SocketDirectory, ServerCertificateSubdirectory);

    public DockerEndpoint SocketEndpoint => DockerEndpoint.UnixSocket(Path.Combine(SocketDirectory, "docker.sock"));

    /// <summary>How the build talks to the daemon: mutual TLS when it is on, else the private socket.</summary>
    public DockerEndpoint Endpoint => TlsAddress is null ? SocketEndpoint : new DockerEndpoint(new Uri($"tcp://{TlsAddress}"), ClientCertificateDirectory);
}
