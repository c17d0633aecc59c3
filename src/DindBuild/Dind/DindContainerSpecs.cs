using System.Collections.Immutable;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;

namespace DindBuild.Dind;

/// <summary>The <c>docker create</c> of a DinD container for each privilege profile.</summary>
internal static class DindContainerSpecs
{
    /// <summary>In the bind-mounted private directory, where <see cref="EntrypointScript.WriteTo"/> puts it before the create.</summary>
    public const string EntrypointPath = DindDaemon.SocketDirectoryInContainer + "/" + EntrypointScript.FileName;

    /// <summary>Where the entry script waits for the server certificate, made once the container's addresses are known.</summary>
    public const string ServerCertificateDirectory = DindDaemon.SocketDirectoryInContainer + "/" + DindDaemon.ServerCertificateSubdirectory;

    public const int TlsPort = 2376;

    /// <summary>Where dockerd finds the extra CA bundle: a directory of its own, since Go reads every file in an SSL_CERT_DIR directory.</summary>
    public const string CaDirectoryInContainer = DindDaemon.SocketDirectoryInContainer + "/" + DindDaemon.CaSubdirectory;

    /// <summary>What the entry script copies into <c>/etc/docker/certs.d</c> (dockerd has no flag for that directory).</summary>
    public const string CertsDDirectoryInContainer = DindDaemon.SocketDirectoryInContainer + "/" + DindDaemon.CertsDSubdirectory;

    /// <summary>Given as the data volume: /var/lib/docker is a tmpfs instead.</summary>
    public const string InMemoryDataRoot = "(tmpfs)";

    /// <summary>The dockerd flag that puts inner containers in a user namespace (a <c>dockremap</c> user dockerd makes itself).</summary>
    public const string UsernsRemapFlag = "--userns-remap=default";

    /// <summary>Where a seed snapshot volume is mounted, read-only: the entry script copies it into the data root.</summary>
    public const string SeedSnapshotMount = "/dindbuild-seed";

    /// <summary>
    /// The container of one start. With <paramref name="innerUserns"/> the daemon gets
    /// <see cref="UsernsRemapFlag"/> (unless <paramref name="daemonArguments"/> name a remap of their own),
    /// the entry script mounts what runc needs for it, and the capabilities profile gets SYS_PTRACE. With
    /// <paramref name="seedSnapshot"/> (a volume) the entry script copies that prepared data root in before dockerd starts;
    /// <paramref name="snapshotOutput"/>'s volume, created by the engine with the container, is where teardown may save it;
    /// <paramref name="keepEngineId"/> (a build snapshot) keeps the copied daemon's ID, which names BuildKit's worker and so its cache.
    /// </summary>
    public static ContainerSpec For(string sessionId, string image, PrivilegeProfile profile, string dataVolume, string socketDirectory, string network, bool tls, string sysboxRuntime = "sysbox-runc", string? owner = null, IReadOnlyList<string>? daemonArguments = null, bool innerUserns = false, bool extraCa = false, bool registryCas = false, string? seedSnapshot = null, Images.Snapshots.BuildSnapshotOutput? snapshotOutput = null, bool keepEngineId = false)
    {
        daemonArguments ??= [];
        string[] usernsFlags = innerUserns && !NamesUsernsRemap(daemonArguments) ? [UsernsRemapFlag] : [];
        string[] listeners =
        [
            "--host=unix:///var/run/docker.sock",
            $"--host=unix://{DindDaemon.SocketDirectoryInContainer}/docker.sock",
        ];
        string[] tlsFlags = tls
            ?
            [
                $"--host=tcp://0.0.0.0:{TlsPort}",
                "--tlsverify",
                $"--tlscacert={ServerCertificateDirectory}/ca.pem",
                $"--tlscert={ServerCertificateDirectory}/cert.pem",
                $"--tlskey={ServerCertificateDirectory}/key.pem",
            ]

            // Explicit, or dockerd waits 15 s warning about an unprotected listener.
            : ["--tls=false"];

        var spec = new ContainerSpec(image)
        {
            Name = SessionNames.DindContainer(sessionId),
            Hostname = SessionNames.DindContainer(sessionId),
            Entrypoint = ["/bin/sh", EntrypointPath],
            Command = [.. listeners, .. tlsFlags, .. usernsFlags, .. daemonArguments],
            Environment =
            [
                .. tls ? [$"DINDBUILD_TLS_DIR={ServerCertificateDirectory}"] : Array.Empty<string>(),
                .. innerUserns ? ["DINDBUILD_INNER_USERNS=1"] : Array.Empty<string>(),
                .. extraCa ? [$"DINDBUILD_CA_DIR={CaDirectoryInContainer}"] : Array.Empty<string>(),
                .. registryCas ? [$"DINDBUILD_CERTS_D={CertsDDirectoryInContainer}"] : Array.Empty<string>(),
                .. seedSnapshot is null ? Array.Empty<string>() : [$"DINDBUILD_SEED_SNAPSHOT={SeedSnapshotMount}"],
                .. seedSnapshot is not null && keepEngineId ? ["DINDBUILD_KEEP_ENGINE_ID=1"] : Array.Empty<string>(),
                .. NamesContainerd(daemonArguments) ? Array.Empty<string>() : [OwnContainerdVariable + "=1"],
            ],
            Labels = SessionLabels.For(sessionId, "dind", owner),
            NetworkMode = network,
            NetworkAliases = ["docker"],

            // Loopback only: the daemon is root, and no other host may even try the handshake.
            PublishedPorts = tls ? [new PortPublication(TlsPort, "127.0.0.1")] : [],
            Mounts =
            [
                // Never the container's own overlay filesystem: overlay2 on overlayfs fails.
                .. dataVolume == InMemoryDataRoot ? [] : new[] { new MountSpec(MountKind.Volume, dataVolume, "/var/lib/docker") },
                new MountSpec(MountKind.Bind, socketDirectory, DindDaemon.SocketDirectoryInContainer),
                .. seedSnapshot is null ? [] : new[] { new MountSpec(MountKind.Volume, seedSnapshot, SeedSnapshotMount, ReadOnly: true) },
                .. snapshotOutput is null ? [] : new[] { new MountSpec(MountKind.Volume, snapshotOutput.Volume, Images.Snapshots.BuildSnapshotStore.OutputMount) { VolumeLabels = snapshotOutput.Labels } },
            ],

            // Docker's tmpfs default is noexec and 64 MiB: images need exec, devices and room.
            Tmpfs = dataVolume == InMemoryDataRoot ? ImmutableDictionary<string, string>.Empty.Add("/var/lib/docker", "rw,exec,suid,dev,mode=711") : ImmutableDictionary<string, string>.Empty,
        };

        return WithProfile(spec, profile, innerUserns, sysboxRuntime);
    }

    /// <summary>The privilege profile's part of a DinD container (the session's, and a seed snapshot's maker).</summary>
    public static ContainerSpec WithProfile(ContainerSpec spec, PrivilegeProfile profile, bool innerUserns, string sysboxRuntime) =>
        profile switch
        {
            PrivilegeProfile.Privileged => spec with { Privileged = true },
            PrivilegeProfile.Capabilities => spec with
            {
                // Exactly the measured minimum, as far as the host can grant it.
                CapabilitiesToDrop = ["ALL"],
                CapabilitiesToAdd = [.. LinuxCapabilities.DindMinimum.Concat(innerUserns ? LinuxCapabilities.InnerUsernsExtra : []).Intersect(LinuxCapabilities.InBoundingSet())],

                // seccomp: the default profile blocks keyctl, so inner runc cannot create session keyrings.
                // AppArmor: docker-default forbids mount on hosts that have AppArmor (not this kind of machine).
                SecurityOptions = ["seccomp=unconfined", "apparmor=unconfined"],

                // /proc and /sys keep Docker's masked and read-only paths: the container cannot write the
                // host kernel's settings (/proc/sys/kernel/core_pattern runs a program as host root).
                // Docker 26 inside would fail every container start trying to turn IPv6 off on its
                // interface through /proc/sys; with this it leaves IPv6 (link-local only) on instead.
                // Measured: start, load, build, volumes, networks, published ports and --sysctl work.
                Environment = [.. spec.Environment, "DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1"],
            },
            PrivilegeProfile.Sysbox => spec with { Runtime = sysboxRuntime },
            _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "resolve 'auto' before creating the container"),
        };

    /// <summary>
    /// Asks the entry script to start containerd before dockerd and hand it over with <c>--containerd</c>: a dockerd
    /// that starts its own waits out gRPC's 1 s reconnect backoff (see the entry script).
    /// </summary>
    public const string OwnContainerdVariable = "DINDBUILD_OWN_CONTAINERD";

    /// <summary>Whether the given dockerd flags name a containerd of their own (<c>--containerd</c>, with <c>=</c> or as two words).</summary>
    public static bool NamesContainerd(IEnumerable<string> daemonArguments) => NamesFlag(daemonArguments, "--containerd");

    /// <summary>Whether the given dockerd flags already ask for a user namespace (<c>--userns-remap</c>, with <c>=</c> or as two words).</summary>
    public static bool NamesUsernsRemap(IEnumerable<string> daemonArguments) => NamesFlag(daemonArguments, "--userns-remap");

    private static bool NamesFlag(IEnumerable<string> daemonArguments, string flag) =>
        daemonArguments.Any(argument => argument == flag || argument.StartsWith(flag + "=", StringComparison.Ordinal));
}
