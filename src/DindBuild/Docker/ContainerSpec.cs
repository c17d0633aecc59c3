using System.Collections.Immutable;

namespace DindBuild.Docker;

/// <summary>What <c>docker create</c> is given. Immutable: derive variants with <c>with</c>.</summary>
public sealed record ContainerSpec(string Image)
{
    public string? Name { get; init; }

    public ImmutableArray<string>? Entrypoint { get; init; }

    public ImmutableArray<string>? Command { get; init; }

    public ImmutableArray<string> Environment { get; init; } = [];

    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    public ImmutableArray<MountSpec> Mounts { get; init; } = [];

    public string? WorkingDirectory { get; init; }

    public string? NetworkMode { get; init; }

    public bool Privileged { get; init; }

    public ImmutableArray<string> CapabilitiesToAdd { get; init; } = [];

    /// <summary><c>--cap-drop</c>; with <c>ALL</c> and <see cref="CapabilitiesToAdd"/> the set is exact.</summary>
    public ImmutableArray<string> CapabilitiesToDrop { get; init; } = [];

    public ImmutableArray<string> SecurityOptions { get; init; } = [];

    /// <summary>
    /// <c>--security-opt systempaths=unconfined</c>: /proc and /sys are neither masked nor read-only.
    /// The CLI turns that option into empty masked/read-only path lists; the API takes only those.
    /// </summary>
    public bool UnconfinedSystemPaths { get; init; }

    /// <summary>An OCI runtime name such as <c>sysbox-runc</c>; null for the daemon's default.</summary>
    public string? Runtime { get; init; }

    public ImmutableDictionary<string, string> Tmpfs { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Extra names the container answers to on <see cref="NetworkMode"/> (<c>--network-alias</c>).</summary>
    public ImmutableArray<string> NetworkAliases { get; init; } = [];

    /// <summary><c>-p HOSTIP::PORT</c>: each container TCP port published on the host at a port the engine picks.</summary>
    public ImmutableArray<PortPublication> PublishedPorts { get; init; } = [];

    public string? Hostname { get; init; }
}

/// <summary>A container TCP port published on one host address, at a free host port chosen by the engine.</summary>
public sealed record PortPublication(int ContainerPort, string HostAddress);

public enum MountKind
{
    Bind,
    Volume,
}

/// <summary>One <c>--mount</c>: a host path (bind) or a named volume at a container path.</summary>
public sealed record MountSpec(MountKind Kind, string Source, string Target, bool ReadOnly = false)
{
    /// <summary>
    /// A volume's labels where the engine creates it with the container (<c>--mount type=volume,volume-label=K=V</c>):
    /// created and referenced in one call, so no reaper can take it for unused in between. Ignored for a volume that exists.
    /// </summary>
    public IReadOnlyDictionary<string, string>? VolumeLabels { get; init; }
}

/// <summary>The part of <c>docker inspect</c> a run acts on.</summary>
public sealed record ContainerStatus(string Id, string Name, bool Running, long ExitCode, string Status, string? Error, bool OomKilled)
{
    /// <summary>The container's address on each network it is attached to.</summary>
    public IReadOnlyList<string> IpAddresses { get; init; } = [];

    /// <summary>Where each published container TCP port ended up on the host, as HOST:PORT.</summary>
    public IReadOnlyDictionary<int, string> PublishedPorts { get; init; } = new Dictionary<int, string>();

    public string Hostname { get; init; } = "";
}
