using System.Text.Json;
using Serilog;

namespace DindBuild.IO;

/// <summary>
/// One JSON file per host engine in a repository's engine memory (<c>.dindbuild/engines/PREFIX-ENGINEID.json</c>):
/// something a run learnt about that engine for the runs after it (a refused --privileged, a refused pull). Never a
/// reason to fail a run: a file that is missing or unreadable reads as nothing, and one that cannot be written is
/// logged, so the next run asks the engine again. <c>what</c> says what is remembered, for the log.
/// </summary>
internal sealed class EngineMemoryFile<T>(string directory, string prefix, string what, ILogger log)
    where T : class
{
    public async Task<T?> ReadAsync(string engineId, CancellationToken cancellationToken)
    {
        var path = PathOf(engineId);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            log.Debug("Could not read {What} from {Path} ({Error}); asking the engine again", what, path, ex.Message);
            return null;
        }
    }

    public void Write(string engineId, T value)
    {
        var path = PathOf(engineId);
        try
        {
            PrivateFiles.CreateDirectory(directory);
            PrivateFiles.WriteAllText(path, JsonSerializer.Serialize(value));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Debug("Could not remember {What} in {Path} ({Error}); the next run asks the engine again", what, path, ex.Message);
        }
    }

    public void Delete(string engineId)
    {
        var path = PathOf(engineId);
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Debug("Could not forget {What} in {Path}: {Error}", what, path, ex.Message);
        }
    }

    // The engine ID is the daemon's own (a UUID, or key-derived on old engines): kept to file-name characters.
    private string PathOf(string engineId) =>
        Path.Combine(directory, prefix + "-" + new string([.. engineId.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')]) + ".json");
}
