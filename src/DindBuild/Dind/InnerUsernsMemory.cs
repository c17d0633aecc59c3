using DindBuild.Docker;
using DindBuild.IO;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Dind;

/// <summary>
/// What <see cref="InnerUsernsProbe"/> found on a host engine, remembered for <c>--inner-userns auto</c> in the state
/// directory (<c>.dindbuild/engines/userns-ENGINEID.json</c>), so later runs neither pay the probe (0.5 s a run here,
/// measured: an image import and a container that fails in runc) nor, where it failed, a first DinD container started
/// only to be replaced. It holds only for the same engine and version, the same kernel under it (sysctls and AppArmor
/// that allow user namespaces come with it), the same DinD image (its runc) and the same privilege profile, and for
/// <see cref="Lifetime"/>; a clock set back makes it ask again.
/// </summary>
/// <remarks>
/// A remembered "works" weakens nothing: dockerd runs with <c>--userns-remap</c> all the same, so a container either
/// starts in a user namespace or does not start at all. What the memory saves is finding that out ahead of the tests.
/// </remarks>
internal sealed class InnerUsernsMemory(string directory, TimeProvider clock, ILogger log)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>Answers kept per engine: one per DinD image and profile in use, so parallel runs with others do not evict each other.</summary>
    private const int Kept = 8;

    private readonly EngineMemoryFile<List<Answer>> _file = new(directory, "userns", "what the user-namespace probe found", log);

    /// <summary>What the answer holds for: the requested profile, because a remembered failure is used before the start.</summary>
    public sealed record Key(string EngineId, string EngineVersion, string Kernel, string DindImageId, PrivilegeProfile Requested);

    /// <summary>The probe's answer: null <paramref name="Failure"/> when it worked, on a daemon of profile <paramref name="Profile"/>.</summary>
    public sealed record Answer(Key Key, PrivilegeProfile Profile, string? Failure, DateTimeOffset When)
    {
        public DateTimeOffset Until => When + Lifetime;
    }

    public static async Task<Key> KeyAsync(IDockerEngine host, string dindImage, PrivilegeProfile requested, CancellationToken cancellationToken)
    {
        var info = await host.System.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        var version = await host.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        var image = await host.Images.InspectAsync(dindImage, cancellationToken).ConfigureAwait(false);
        return new Key(info.Id, version.Version, info.KernelVersion, image?.Id ?? "", requested);
    }

    /// <summary>The answer for exactly this key and still within its lifetime, or null.</summary>
    public async Task<Answer?> ReadAsync(Key key, CancellationToken cancellationToken)
    {
        // No image ID means nothing identifies the runc that answered.
        if (key.DindImageId.Length == 0)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var answers = await _file.ReadAsync(key.EngineId, cancellationToken).ConfigureAwait(false) ?? [];
        return answers.LastOrDefault(answer => answer is not null && answer.Key == key && answer.When <= now && now < answer.Until);
    }

    /// <summary>
    /// Replaces this key's answer. Two runs writing at once may lose one answer, or leave a file that does not parse
    /// and so reads as none: either only costs a probe later.
    /// </summary>
    public async Task RememberAsync(Key key, PrivilegeProfile profile, string? failure, CancellationToken cancellationToken)
    {
        if (key.DindImageId.Length == 0)
        {
            return;
        }

        var answers = await _file.ReadAsync(key.EngineId, cancellationToken).ConfigureAwait(false) ?? [];
        answers = [.. answers.Where(answer => answer is not null && answer.Key != key).TakeLast(Kept - 1), new Answer(key, profile, failure, clock.GetUtcNow())];
        _file.Write(key.EngineId, answers);
    }
}
