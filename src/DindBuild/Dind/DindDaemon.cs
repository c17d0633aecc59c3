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
    string SocketDirectory)
{
    /// <summary>Where the DinD container's dockerd also listens; bind-mounted from <see cref="SocketDirectory"/>.</summary>
    public const string SocketDirectoryInContainer = "/run/dindbuild";

    public DockerEndpoint Endpoint => DockerEndpoint.UnixSocket(Path.Combine(SocketDirectory, "docker.sock"));
}
