using System.Text.Json;
using System.Text.Json.Serialization;
using DindBuild.Diagnostics;
using DindBuild.IO;
using DindBuild.Sessions;

namespace DindBuild.Hosting;

/// <summary>
/// Saved sessions, one JSON file each under <c>.dindbuild/sessions/</c> (directory 0700, files 0600:
/// they say how to reach a root-equivalent daemon). A session is found by its id, or as the only one.
/// </summary>
internal sealed class SessionStore(string directory)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        // Explicit, so hosts that turn reflection-based serialization off by default still work.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string Directory { get; } = directory;

    public static SessionStore ForRepository(string repositoryRoot) => new(Path.Combine(StateDirectory.For(repositoryRoot), "sessions"));

    public string PathOf(string sessionId) => Path.Combine(Directory, sessionId + ".json");

    public string EnvironmentFileOf(string sessionId) => Path.Combine(Directory, sessionId + ".env");

    public void Save(SessionState state, IReadOnlyDictionary<string, string> environment)
    {
        StateDirectory.MarkIgnoredByGit(System.IO.Path.GetDirectoryName(Directory)!);
        PrivateFiles.CreateDirectory(Directory);
        PrivateFiles.WriteAllText(PathOf(state.SessionId), JsonSerializer.Serialize(state, Json));
        PrivateFiles.WriteAllText(EnvironmentFileOf(state.SessionId), string.Concat(environment.Select(pair => $"{pair.Key}={pair.Value}\n")));
    }

    public SessionState? TryLoad(string sessionId)
    {
        var path = PathOf(sessionId);
        return File.Exists(path) ? JsonSerializer.Deserialize<SessionState>(File.ReadAllText(path), Json) : null;
    }

    public IReadOnlyList<string> SessionIds() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order().ToList()
            : [];

    /// <summary>The session named by <paramref name="sessionId"/>, else the only saved one; a clear error otherwise.</summary>
    public SessionState Load(string? sessionId, string step)
    {
        if (sessionId is not null)
        {
            return TryLoad(sessionId) ?? throw NoSession(step, $"no saved session '{sessionId}' in {Directory}; saved: {Describe(SessionIds())}");
        }

        var ids = SessionIds();
        return ids.Count switch
        {
            1 => TryLoad(ids[0])!,
            0 => throw NoSession(step, $"no saved session in {Directory}"),
            _ => throw new DindBuildException(
                FailureKind.BadParameters,
                $"{step} found {ids.Count} saved sessions and cannot tell which one to use.",
                $"saved sessions: {Describe(ids)}",
                "pass '--session-id ID' (or DINDBUILD_SESSION_ID), as printed by the StartDaemon step."),
        };
    }

    public void Delete(string sessionId)
    {
        File.Delete(PathOf(sessionId));
        File.Delete(EnvironmentFileOf(sessionId));
    }

    private static DindBuildException NoSession(string step, string evidence) => new(
        FailureKind.BadParameters,
        $"{step} needs a session, and none was started in this process or saved by an earlier one.",
        evidence,
        $"run './build.sh StartDaemon' first (its session is saved for later steps), or run './build.sh {step}' without '--exclusive' so its dependencies run in the same process.");

    private static string Describe(IReadOnlyList<string> ids) => ids.Count == 0 ? "none" : string.Join(", ", ids);
}
