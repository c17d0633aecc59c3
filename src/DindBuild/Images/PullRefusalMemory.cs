using DindBuild.Docker;
using DindBuild.IO;
using Serilog;

namespace DindBuild.Images;

/// <summary>
/// Remembers, per host engine, that the default DinD image could not be pulled, so that the next runs within
/// <see cref="Lifetime"/> go straight to DindBuild's own image instead of waiting for the same refusal again (0.7 s a
/// run on a machine without a registry, measured: the DNS lookup fails). Only for the default image, whose fallback
/// is DindBuild's; an image the user names is always asked for. Short-lived, because a registry that comes back
/// should be used again soon; an image loaded or pulled by hand is found locally first and used at once.
/// </summary>
internal sealed class PullRefusalMemory(string directory, ILogger log)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private readonly EngineMemoryFile<Refusal> _file = new(directory, "pull-refused", "a refused pull", log);

    private sealed record Refusal(string EngineId, string Image, string Reason, DateTimeOffset When);

    /// <summary>The remembered refusal of <paramref name="image"/> on this engine and still within its lifetime, or null.</summary>
    public async Task<(string Reason, DateTimeOffset When)?> RefusedAsync(IDockerEngine engine, string image, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var engineId = await EngineIdAsync(engine, cancellationToken).ConfigureAwait(false);
        var refusal = await _file.ReadAsync(engineId, cancellationToken).ConfigureAwait(false);

        // A clock set back makes a refusal from the future: asked again rather than trusted for longer.
        return refusal is not null && refusal.EngineId == engineId && refusal.Image == image && refusal.When <= now && now - refusal.When < Lifetime
            ? (refusal.Reason, refusal.When)
            : null;
    }

    public async Task RememberAsync(IDockerEngine engine, string image, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var engineId = await EngineIdAsync(engine, cancellationToken).ConfigureAwait(false);
        _file.Write(engineId, new Refusal(engineId, image, reason, now));
    }

    /// <summary>After a pull that worked: the next fallback decision starts from a fresh refusal.</summary>
    public async Task ForgetAsync(IDockerEngine engine, CancellationToken cancellationToken) =>
        _file.Delete(await EngineIdAsync(engine, cancellationToken).ConfigureAwait(false));

    private static async Task<string> EngineIdAsync(IDockerEngine engine, CancellationToken cancellationToken) =>
        (await engine.System.GetInfoAsync(cancellationToken).ConfigureAwait(false)).Id;
}
