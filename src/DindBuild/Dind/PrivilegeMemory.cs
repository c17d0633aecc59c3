using System.Text.Json;
using DindBuild.Docker;
using DindBuild.IO;
using Serilog;

namespace DindBuild.Dind;

/// <summary>
/// What a host engine said to <c>--privileged</c>, remembered per engine (its ID and version) in the state directory
/// (<c>.dindbuild/engines/</c>): with <c>--privilege auto</c>, an engine that refused a privileged DinD container once
/// gets the capabilities profile at once on later runs, without another refused create (issue 17). A new engine, or
/// the same one upgraded, is asked again. Never a reason to fail a run: an unreadable or unwritable memory is ignored.
/// </summary>
internal sealed class PrivilegeMemory(string directory, ILogger log)
{
    private sealed record Refusal(string EngineId, string EngineVersion, string Reason, DateTimeOffset When);

    /// <summary>The refusal recorded for this engine, or null (never asked, another engine or version, unreadable).</summary>
    public async Task<string?> RefusedAsync(IDockerEngine engine, CancellationToken cancellationToken)
    {
        var (id, version) = await IdentifyAsync(engine, cancellationToken).ConfigureAwait(false);
        try
        {
            var path = PathOf(id);
            if (!File.Exists(path))
            {
                return null;
            }

            var refusal = JsonSerializer.Deserialize<Refusal>(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
            return refusal is not null && refusal.EngineId == id && refusal.EngineVersion == version
                ? $"{refusal.Reason} (on {refusal.When:yyyy-MM-dd HH:mm} UTC)"
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            log.Debug("Could not read what the engine said to --privileged before ({Error}); asking it again", ex.Message);
            return null;
        }
    }

    public async Task RememberRefusalAsync(IDockerEngine engine, string reason, CancellationToken cancellationToken)
    {
        var (id, version) = await IdentifyAsync(engine, cancellationToken).ConfigureAwait(false);
        try
        {
            PrivateFiles.CreateDirectory(directory);
            PrivateFiles.WriteAllText(PathOf(id), JsonSerializer.Serialize(new Refusal(id, version, reason, DateTimeOffset.UtcNow)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Debug("Could not remember that the engine refused --privileged ({Error}); the next run asks it again", ex.Message);
        }
    }

    private static async Task<(string Id, string Version)> IdentifyAsync(IDockerEngine engine, CancellationToken cancellationToken)
    {
        var info = await engine.System.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        var version = await engine.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        return (info.Id, version.Version);
    }

    // The engine ID is the daemon's own (a UUID, or key-derived on old engines): kept to file-name characters.
    private string PathOf(string engineId) =>
        Path.Combine(directory, "privileged-" + new string([.. engineId.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')]) + ".json");
}
