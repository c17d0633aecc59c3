namespace DindBuild.Settings;

/// <summary>
/// Whether the DinD daemon runs its containers in a user namespace (<c>dockerd --userns-remap=default</c>):
/// root in a test's container is then an unprivileged uid on the host kernel.
/// </summary>
public enum InnerUserns
{
    /// <summary>
    /// On where the host allows it — probed with a real container at StartDaemon — falling back to off,
    /// logged with the reason; off with <c>--socket-policy permissive</c>, whose privileged containers a user namespace refuses.
    /// </summary>
    Auto,

    /// <summary>Always; a host that cannot give it fails StartDaemon with the probe's evidence.</summary>
    On,

    /// <summary>Never: inner containers share the host kernel's uids, as with plain <c>docker:dind</c>.</summary>
    Off,
}
