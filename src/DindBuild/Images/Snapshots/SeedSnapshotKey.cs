using System.Security.Cryptography;
using System.Text;

namespace DindBuild.Images.Snapshots;

/// <summary>
/// What a seed snapshot is made of, and so its volume's name: each image by name and host image ID, the DinD image's
/// ID (its dockerd version: the data root's layout is that dockerd's) and the dockerd flags that shape the image store.
/// A base image rebuilt or pulled on the host has a new ID, so a new key: an old snapshot is never used for it.
/// </summary>
internal sealed record SeedSnapshotKey(IReadOnlyList<(string Name, string Id)> Images, string DindImageId, IReadOnlyList<string> StorageArguments)
{
    public const string VolumePrefix = "dindbuild-seed-";

    /// <summary>The volume's name: <c>dindbuild-seed-</c> and 16 hex digits of the description's SHA-256.</summary>
    public string VolumeName => VolumePrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Description)))[..16];

    /// <summary>One line per input, sorted: the same set gives the same key whatever the Dockerfile's order. Written into the snapshot as its completion marker.</summary>
    public string Description => string.Join('\n',
    [
        $"dind-image {DindImageId}",
        .. StorageArguments.Select(argument => $"dockerd {argument}"),
        .. Images.OrderBy(image => image.Name, StringComparer.Ordinal).Select(image => $"image {image.Name} {image.Id}"),
    ]);

    /// <summary>
    /// Why a daemon started with these settings takes no snapshot, or null when it does: turned off, a cache volume keeps
    /// its images itself, and a data root moved by a flag is not where the snapshot is copied to.
    /// </summary>
    public static string? WhyNot(Settings.SeedSnapshotChoice choice, string? cacheVolume, IReadOnlyList<string> daemonArguments)
    {
        if (choice == Settings.SeedSnapshotChoice.Off)
        {
            return "--seed-snapshots off: SeedImages streams the images";
        }

        if (cacheVolume is not null)
        {
            return $"the cache volume {cacheVolume} keeps the images from run to run";
        }

        return daemonArguments.Any(argument => IsFlag(argument, "--data-root") || IsFlag(argument, "-g") || IsFlag(argument, "--graph"))
            ? "a --daemon-arg moves the daemon's data root"
            : null;
    }

    /// <summary>
    /// The dockerd flags that change how images are stored — the storage driver and its options, and a user namespace
    /// (<c>--userns-remap</c>: the image store moves to UID.GID/ and its files are owned by the remapped ids; with
    /// <paramref name="innerUserns"/> the session adds <see cref="Dind.DindContainerSpecs.UsernsRemapFlag"/>). The
    /// snapshot's daemon gets them too, and the key has them.
    /// </summary>
    public static IReadOnlyList<string> StorageArgumentsOf(IReadOnlyList<string> daemonArguments, bool innerUserns)
    {
        var found = new List<string>();
        for (var index = 0; index < daemonArguments.Count; index++)
        {
            var argument = daemonArguments[index];
            if (!IsFlag(argument, "--storage-driver") && !IsFlag(argument, "-s") && !IsFlag(argument, "--storage-opt") && !IsFlag(argument, "--userns-remap"))
            {
                continue;
            }

            // "--storage-driver vfs" as two words keeps its value.
            found.Add(argument.Contains('=', StringComparison.Ordinal) || index + 1 >= daemonArguments.Count ? argument : $"{argument}={daemonArguments[++index]}");
        }

        if (innerUserns && !Dind.DindContainerSpecs.NamesUsernsRemap(daemonArguments))
        {
            found.Add(Dind.DindContainerSpecs.UsernsRemapFlag);
        }

        return found;
    }

    private static bool IsFlag(string argument, string flag) =>
        argument == flag || argument.StartsWith(flag + "=", StringComparison.Ordinal);
}
