using Docker.DotNet.Models;

namespace DindBuild.Docker;

/// <summary>One <c>docker stats</c> line: when, CPU in percent of one CPU (200 % = two busy CPUs), memory in use and its limit.</summary>
public sealed record ResourceSample(DateTimeOffset At, double CpuPercent, long MemoryBytes, long MemoryLimitBytes)
{
    /// <summary>
    /// The docker CLI's arithmetic: CPU from the change since the previous sample against the host's
    /// change, scaled by the online CPUs; memory without inactive page cache (cgroup v1 and v2 keys).
    /// Null for the first sample of a stream, which has nothing to compare with, and for a stopped container.
    /// </summary>
    internal static ResourceSample? From(ContainerStatsResponse stats)
    {
        if (stats.CPUStats?.CPUUsage is not { } cpu || stats.PreCPUStats?.CPUUsage is not { } previous || stats.MemoryStats is not { } memory)
        {
            return null;
        }

        var previousSystem = (double)(stats.PreCPUStats.SystemUsage ?? 0);
        var systemDelta = (stats.CPUStats.SystemUsage ?? 0) - previousSystem;
        if (previousSystem == 0 || systemDelta <= 0)
        {
            return null;
        }

        var cpuDelta = (double)cpu.TotalUsage - previous.TotalUsage;
        var onlineCpus = stats.CPUStats.OnlineCPUs is > 0 and var online ? online : (uint)(cpu.PercpuUsage?.Count ?? 1);
        var cpuPercent = cpuDelta > 0 ? cpuDelta / systemDelta * onlineCpus * 100.0 : 0;
        return new ResourceSample(stats.Read, cpuPercent, (long)WithoutCache(memory), (long)(memory.Limit ?? 0));
    }

    private static ulong WithoutCache(MemoryStats memory)
    {
        var stats = memory.Stats ?? new Dictionary<string, ulong>();
        var usage = memory.Usage ?? 0;
        var inactive = stats.TryGetValue("total_inactive_file", out var v1) ? v1 : stats.TryGetValue("inactive_file", out var v2) ? v2 : 0;
        return inactive < usage ? usage - inactive : usage;
    }
}
