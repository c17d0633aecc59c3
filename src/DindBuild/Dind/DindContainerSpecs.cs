using DindBuild.Docker;
using DindBuild.Pipeline;
using DindBuild.Settings;

namespace DindBuild.Dind;

/// <summary>The <c>docker create</c> of a DinD container for each privilege profile.</summary>
public static class DindContainerSpecs
{
    public const string EntrypointPath = "/dindbuild-entrypoint.sh";

    public static ContainerSpec For(string sessionId, string image, PrivilegeProfile profile, string dataVolume, string socketDirectory)
    {
        var spec = new ContainerSpec(image)
        {
            Name = $"dindbuild-{sessionId}",
            Entrypoint = ["/bin/sh", EntrypointPath],
            Command =
            [
                "--host=unix:///var/run/docker.sock",
                $"--host=unix://{DindDaemon.SocketDirectoryInContainer}/docker.sock",
            ],
            Labels = SessionLabels.For(sessionId, "dind"),
            Mounts =
            [
                // Never the container's own overlay filesystem: overlay2 on overlayfs fails.
                new MountSpec(MountKind.Volume, dataVolume, "/var/lib/docker"),
                new MountSpec(MountKind.Bind, socketDirectory, DindDaemon.SocketDirectoryInContainer),
            ],
        };

        return profile switch
        {
            PrivilegeProfile.Privileged => spec with { Privileged = true },
            PrivilegeProfile.Capabilities => spec with
            {
                CapabilitiesToAdd = [.. LinuxCapabilities.InBoundingSet()],

                SecurityOptions = ["seccomp=unconfined", "apparmor=unconfined"],

                // Docker 26 inside writes /proc/sys (IPv6 off on container interfaces).
                UnconfinedSystemPaths = true,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "resolve 'auto' before creating the container"),
        };
    }
}
