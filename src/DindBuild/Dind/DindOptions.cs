namespace DindBuild.Dind;

/// <summary>What the DinD container is given beyond its image and privilege profile.</summary>
internal sealed record DindOptions(bool Tls, IReadOnlyList<string> TlsExtraNames, string SysboxRuntime)
{
    /// <summary>The owner label of every resource created (see <see cref="Sessions.ProcessOwner"/>).</summary>
    public string Owner { get; init; } = Sessions.ProcessOwner.Current;

    /// <summary>Run the daemon's containers in a user namespace (see <see cref="DindContainerSpecs.UsernsRemapFlag"/>).</summary>
    public bool InnerUserns { get; init; }

    /// <summary>CA certificates the daemon trusts for its pulls, besides its image's system store.</summary>
    public Trust.CaBundle ExtraCa { get; init; } = Trust.CaBundle.Empty;

    /// <summary>CAs the daemon trusts for one registry each (<c>/etc/docker/certs.d/HOST/ca.crt</c>).</summary>
    public IReadOnlyList<Trust.RegistryCa> RegistryCas { get; init; } = [];

    /// <summary>Extra dockerd flags.</summary>
    public IReadOnlyList<string> DaemonArguments { get; init; } = [];

    /// <summary>An in-memory data root (tmpfs) instead of an ephemeral volume, when there is no cache volume.</summary>
    public bool DataRootInMemory { get; init; }

    /// <summary>A seed snapshot volume (<see cref="Images.Snapshots.SeedSnapshotStore"/>) the entry script copies into a fresh data root; null for none.</summary>
    public string? SeedSnapshot { get; init; }

    /// <summary>A build snapshot (<see cref="Images.Snapshots.BuildSnapshotStore"/>) copied in instead of <see cref="SeedSnapshot"/>, which stays the fallback when it is not complete.</summary>
    public string? BuildSnapshot { get; init; }

    /// <summary>The volume, made with the container, into which teardown may save the data root as a build snapshot; null for none.</summary>
    public Images.Snapshots.BuildSnapshotOutput? BuildSnapshotOutput { get; init; }

    /// <summary>A named volume kept across runs as the daemon's data root (its layer cache); null for an ephemeral one.</summary>
    public string? CacheVolume { get; init; }

    /// <summary>How long to wait for another daemon to release the cache volume.</summary>
    public TimeSpan CacheWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Where what the host engine said to <c>--privileged</c> is remembered (see <see cref="PrivilegeMemory"/>); null: ask every time.</summary>
    public string? PrivilegeMemoryDirectory { get; init; }

    /// <summary>BuildKit's garbage-collection target on the cache volume, in bytes (dockerd's <c>builder.gc.defaultKeepStorage</c>).</summary>
    public long CacheMaxBytes { get; init; } = 20L << 30;

    /// <summary>When the cache stays busy: true runs on an ephemeral data root, false fails.</summary>
    public bool CacheFallbackToEphemeral { get; init; } = true;
}
