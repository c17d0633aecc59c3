using System.Globalization;
using DindBuild.Sessions;

namespace DindBuild.Images.Snapshots;

/// <summary>
/// How long a session's builds took, kept in its private directory on the build host: BuildImage (or a compose
/// stack's builds) and Teardown may run in different processes (step by step), and Teardown decides from it whether the
/// data root is worth a build snapshot (<see cref="BuildSnapshotStore.WorthSaving"/>). A session with no private
/// directory (dood, external) records nothing.
/// </summary>
internal static class BuildDurations
{
    public const string FileName = "build-seconds";

    public static void Add(string sessionId, TimeSpan took)
    {
        var directory = SessionNames.PrivateDirectory(sessionId);
        if (!Directory.Exists(directory))
        {
            return;
        }

        var total = Of(sessionId) + took;
        File.WriteAllText(Path.Combine(directory, FileName), total.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture));
    }

    /// <summary>Nothing is saved for this session after all (it was cancelled).</summary>
    public static void Forget(string sessionId)
    {
        var path = Path.Combine(SessionNames.PrivateDirectory(sessionId), FileName);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>The total recorded; zero when nothing was built, or the file is unreadable (no snapshot is then saved).</summary>
    public static TimeSpan Of(string sessionId)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(SessionNames.PrivateDirectory(sessionId), FileName));
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and < 1e7 ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return TimeSpan.Zero;
        }
    }
}
