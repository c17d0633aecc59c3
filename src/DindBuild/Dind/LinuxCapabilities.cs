using System.Globalization;

namespace DindBuild.Dind;

/// <summary>Linux capability names by bit, to ask Docker for exactly what the host can grant.</summary>
public static class LinuxCapabilities
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
