using System.Globalization;

namespace DindBuild.Dind;

/// <summary>Linux capability names by bit, to ask Docker for exactly what the host can grant.</summary>
internal static class LinuxCapabilities
{
    private static readonly string[] Names =
    [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ];

    /// <summary>Docker's default capability set: what runc gives each container, inner ones included.</summary>
    public static IReadOnlyList<string> DockerDefaults { get; } =
    [
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
        "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ];

    /// <summary>
    /// The smallest set with which a DinD daemon starts, loads and builds images and runs containers,
    /// measured by elimination on Docker 20.10 / cgroup v1 (see README): Docker's defaults, which the
    /// inner runc must be able to hand on to inner containers, plus SYS_ADMIN (overlay mounts, the entry
    /// script's remounts) and NET_ADMIN (the inner daemon's iptables chains).
    /// </summary>
    public static IReadOnlyList<string> DindMinimum { get; } = [.. DockerDefaults, "SYS_ADMIN", "NET_ADMIN"];

    /// <summary>
    /// What the inner daemon's containers in a user namespace need besides: runc opens the namespaces
    /// of its child once that child is a remapped uid, which the kernel allows only with SYS_PTRACE
    /// (without it: "failed to get container mount namespace: Permission denied", measured).
    /// </summary>
    public static IReadOnlyList<string> InnerUsernsExtra { get; } = ["SYS_PTRACE"];

    /// <summary>
    /// The capabilities in this process's bounding set (<c>CapBnd</c> in /proc/self/status). Asking
    /// Docker for "ALL" fails where the bounding set lacks one (here: SYS_RESOURCE).
    /// </summary>
    public static IReadOnlyList<string> InBoundingSet() =>
        FromMask(ReadMask("/proc/self/status", "CapBnd:"));

    public static IReadOnlyList<string> FromMask(ulong mask) =>
        Names.Where((_, bit) => (mask & (1UL << bit)) != 0).ToList();

    private static ulong ReadMask(string statusPath, string field)
    {
        var line = File.ReadLines(statusPath).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{statusPath} has no {field} line");
        return ulong.Parse(line[field.Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
