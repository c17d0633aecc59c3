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
    private readonly EngineMemoryFile<Refusal> _file = new(directory, "privileged", "what the engine said to --privileged", log);

    private sealed record Refusal(string EngineId, string EngineVersion, string Reason, DateTimeOffset When);

    /// <summary>The refusal recorded for this engine, or null (never asked, another engine or version, unreadable).</summary>
    public async Task<string?> RefusedAsync(IDockerEngine engine, CancellationToken cancellationToken)
    {
        var (id, version) = await IdentifyAsync(engine, cancellationToken).ConfigureAwait(false);
        var refusal = await _file.ReadAsync(id, cancellationToken).ConfigureAwait(false);
        return refusal is not null && refusal.EngineId == id && refusal.EngineVersion == version
            ? $"{refusal.Reason} (on {refusal.When:yyyy-MM-dd HH:mm} UTC)"
            : null;
    }

    public async Task RememberRefusalAsync(IDockerEngine engine, string reason, CancellationToken cancellationToken)
    {
        var (id, version) = await IdentifyAsync(engine, cancellationToken).ConfigureAwait(false);
        _file.Write(id, new Refusal(id, version, reason, DateTimeOffset.UtcNow));
    }

    private static async Task<(string Id, string Version)> IdentifyAsync(IDockerEngine engine, CancellationToken cancellationToken)
    {
        var info = await engine.System.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        var version = await engine.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        return (info.Id, version.Version);
    }
}
