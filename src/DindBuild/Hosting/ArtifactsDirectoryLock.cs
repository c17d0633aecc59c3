using System.Text;
using DindBuild.Diagnostics;
using DindBuild.IO;
using DindBuild.Settings;

namespace DindBuild.Hosting;

/// <summary>
/// One build process at a time per artifacts directory: parallel runs in one checkout would
/// overwrite each other's artifacts and report and interleave one JSON log. Taken before the log
/// is opened (DindTest empties it) and before any daemon starts; a second run is refused with exit
/// code 2, naming the run that has the directory. The lock is a <c>flock</c> on the directory itself
/// (<see cref="DirectoryLock"/>): no lock file, and the kernel releases it when a killed run dies.
/// </summary>
public sealed class ArtifactsDirectoryLock : IDisposable
{
    /// <summary>
    /// Targets that take no lock: Help writes nothing there, Reap only logs, and Test and Benchmark
    /// run builds of their own, which must not be refused by their parent. They still write no JSON
    /// log into a directory another run has.
    /// </summary>
    private static readonly string[] Unlocked = ["Help", "Reap", "Test", "Benchmark"];

    private readonly DirectoryLock? _lock;

    private ArtifactsDirectoryLock(DirectoryLock? held, string? jsonLogFile)
    {
        _lock = held;
        JsonLogFile = jsonLogFile;
    }

    /// <summary>Where this process writes its JSON-lines log; null for none.</summary>
    public string? JsonLogFile { get; }

    /// <summary>The artifacts directory for <paramref name="target"/>: locked, or left alone by a target that needs no lock.</summary>
    public static ArtifactsDirectoryLock ForTarget(DindSettings settings, string target)
    {
        var directory = settings.HostArtifactsDirectory;
        var log = Path.Combine(directory, DindLogging.JsonLogFileName);
        if (string.Equals(target, "Help", StringComparison.OrdinalIgnoreCase))
        {
            return new(null, null);
        }

        var (held, holder) = TryLock(directory);
        if (Unlocked.Contains(target, StringComparer.OrdinalIgnoreCase))
        {
            // Only a look: released at once, so that the builds beside or below this one are never refused.
            held?.Dispose();
            return new(null, holder is null ? log : null);
        }

        if (holder is not null)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"The artifacts directory {directory} is in use by another DindBuild run: {holder}.",
                $"--artifacts-dir resolves to {directory}; that run holds a lock on it until it ends",
                "wait for that run to end, or give each run in this checkout its own '--artifacts-dir' (their artifacts, reports and JSON logs would overwrite each other).");
        }

        return new(held, log);
    }

    public void Dispose() => _lock?.Dispose();

    /// <summary>The lock, or who holds it; neither when the directory cannot even be made (the JSON log says why, as a warning).</summary>
    private static (DirectoryLock? Lock, string? Holder) TryLock(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var (held, pid) = DirectoryLock.TryAcquire(directory);
            return held is not null ? (held, null) : (null, Describe(pid));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return (null, null);
        }
    }

    /// <summary>"pid 1234 (DindTest, session t1234)", from the holder's command line and environment.</summary>
    private static string Describe(int? pid)
    {
        if (pid is not { } holder)
        {
            return "a process this one cannot see";
        }

        var arguments = Read($"/proc/{holder}/cmdline");
        var environment = Read($"/proc/{holder}/environ");
        var target = ValueOf(arguments, "--target");
        var session = ValueOf(arguments, "--session-id") ?? environment.FirstOrDefault(entry => entry.StartsWith("DINDBUILD_SESSION_ID=", StringComparison.Ordinal))?["DINDBUILD_SESSION_ID=".Length..];
        var details = new[] { target, session is null ? null : $"session {session}" }.OfType<string>().ToList();
        return details.Count == 0 ? $"pid {holder}" : $"pid {holder} ({string.Join(", ", details)})";
    }

    private static string[] Read(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path)).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The value of <c>--name=value</c> or <c>--name value</c>.</summary>
    private static string? ValueOf(string[] arguments, string name)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                return arguments[i][(name.Length + 1)..];
            }

            if (arguments[i] == name && i + 1 < arguments.Length)
            {
                return arguments[i + 1];
            }
        }

        return null;
    }
}
