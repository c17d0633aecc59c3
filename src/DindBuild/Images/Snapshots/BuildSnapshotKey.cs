using System.Security.Cryptography;
using System.Text;
using DindBuild.Settings;

namespace DindBuild.Images.Snapshots;

/// <summary>
/// Which runs share build snapshots: those of one project (this repository's path on the build host, the build's
/// context, Dockerfile, target stage and compose files) whose seed snapshot would be the same (the same base images by
/// host image ID, DinD image and image-store flags). A base image rebuilt on the host, another DinD image or
/// <c>--inner-userns</c> turned off makes a new key: a snapshot never holds another key's images or layout.
/// </summary>
internal sealed record BuildSnapshotKey(SeedSnapshotKey Seed, string Project)
{
    public const string VolumePrefix = "dindbuild-build-";

    /// <summary>16 hex digits of the description's SHA-256: the value of <see cref="BuildSnapshotStore.KeyLabel"/>.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Description)))[..16];

    /// <summary>The project, then the seed key's lines: written into the snapshot's marker after its volume's name.</summary>
    public string Description => $"project {Project}\n{Seed.Description}";

    /// <summary>One volume per session that saves (each snapshot is written once, into a volume no one else writes): <c>dindbuild-build-HASH12-SESSION</c>.</summary>
    public string VolumeFor(string sessionId) => $"{VolumePrefix}{Hash[..12]}-{sessionId}";

    /// <summary>The marker the save writes last: the volume's name (what the completeness check compares), then the description.</summary>
    public string MarkerFor(string volume) => $"{volume}\n{Description}\n";

    /// <summary>What names the project: full paths, so two checkouts of one repository do not share (nor overwrite) each other's.</summary>
    public static string ProjectOf(DindSettings options) => string.Join(' ',
    [
        $"repository={Path.GetFullPath(options.RepositoryRoot)}",
        $"dockerfile={Path.GetFullPath(options.DockerfilePath)}",
        $"context={Path.GetFullPath(options.ContextDirectory)}",
        $"target={options.TargetStage ?? "(last)"}",
        .. options.Compose.Files.Select(file => $"compose={Path.GetFullPath(file)}"),
    ]);
}

/// <summary>A session's output volume for a build snapshot: its name, the labels the engine creates it with, and the marker a save writes.</summary>
internal sealed record BuildSnapshotOutput(string Volume, IReadOnlyDictionary<string, string> Labels, string Marker)
{
    public static BuildSnapshotOutput For(BuildSnapshotKey key, string sessionId)
    {
        var volume = key.VolumeFor(sessionId);
        return new BuildSnapshotOutput(volume, BuildSnapshotStore.Labels(key, sessionId), key.MarkerFor(volume));
    }
}
