using System.Globalization;
using DindBuild.IO;

namespace DindBuild.Sessions;

/// <summary>
/// Who owns a session's resources: <c>HOST:PID:STARTTIME</c> of the build process. The start time
/// (clock ticks since boot, from /proc) tells a live owner from a new process that reused its pid.
/// A session kept for later steps is owned by <see cref="Kept"/>: only its age can retire it.
/// </summary>
public static class ProcessOwner
{
    public const string Kept = "kept";

    public static string Current { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{StartTime(Environment.ProcessId) ?? "0"}";

    /// <summary>False only when the owner is known to be gone: same host, and no process with that pid and start time.</summary>
    public static bool IsAlive(string owner)
    {
        var parts = owner.Split(':');
        if (owner == Kept || parts.Length != 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid))
        {
            // Another host's or a kept session: this machine cannot tell, so it counts as alive.
            return true;
        }

        return StartTime(pid) is { } started && started == parts[2];
    }

    /// <summary>Whether the owner's process is on this host, where <see cref="IsAlive"/> can tell.</summary>
    internal static bool IsOnThisHost(string owner) => owner.Split(':') is [var host, _, _] && host == Environment.MachineName;

    /// <summary>Whether the owner is a live build process of this host other than this one: it is running its session right now.</summary>
    internal static bool IsAnotherLiveProcessHere(string owner) => owner != Kept && owner != Current && IsOnThisHost(owner) && IsAlive(owner);

    private static string? StartTime(int pid) => ProcessStat.Read(pid)?.StartTime;
}
