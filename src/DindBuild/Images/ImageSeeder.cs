using System.Diagnostics;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.IO;
using DindBuild.Provisioning;
using Serilog;

namespace DindBuild.Images;

/// <summary>
/// <c>docker save IMAGE | docker -H inner load</c>, streamed: copies the images a build needs from
/// the host engine into the session's daemon, which cannot pull them where there is no registry.
/// </summary>
internal sealed class ImageSeeder(IDockerEngine source, IDockerEngine target, RootfsImageBuilder? recipes, ILogger log, ProgressReporter? progress = null)
{
    private readonly ProgressReporter _progress = progress ?? ProgressReporter.ForConsole(log);

    /// <summary>The build context: a stand-in image carries what it restores (see <see cref="ImageRecipe.ForImage"/>).</summary>
    public string? ContextDirectory { get; init; }

    /// <summary>Seeds each image; returns the ones that could not be found anywhere, with where they were looked for.</summary>
    public async Task<IReadOnlyList<MissingImage>> SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        var unavailable = new List<MissingImage>();
        foreach (var image in images)
        {
            // By ID, not name: a seed snapshot (or a cache volume) may hold an older build of a name the host has rebuilt since.
            var present = await target.Images.InspectAsync(image, cancellationToken).ConfigureAwait(false);
            var found = await source.Images.InspectAsync(image, cancellationToken).ConfigureAwait(false);
            if (present is not null && (found is null || found.Id == present.Id))
            {
                log.Information("{Image} is already in the session's daemon", image);
                continue;
            }

            if (present is not null)
            {
                log.Information("{Image} in the session's daemon is {Present}, the host engine's is {Found}: copying the host's", image, present.Id, found!.Id);
            }

            var recipe = recipes is null ? null : ImageRecipe.ForImage(image, ContextDirectory);
            if (recipe is not null && recipe.NeededForBuild(found))
            {
                await recipes!.EnsureAsync(source, recipe, cancellationToken).ConfigureAwait(false);
                found = await source.Images.InspectAsync(image, cancellationToken).ConfigureAwait(false);
            }

            if (found is null)
            {
                log.Warning("{Image} is neither on the host engine nor buildable by DindBuild", image);
                unavailable.Add(new MissingImage(image, $"not in the session's daemon; not on the host engine at {source.Endpoint.DockerHost}{(recipe is null ? "; DindBuild has no stand-in for it" : "")}"));
                continue;
            }

            await CopyAsync(image, found.Size, ("Seeding", "Seeded"), cancellationToken).ConfigureAwait(false);
        }

        return unavailable;
    }

    /// <summary>One image, source to target (PublishImage's <c>--load-into-host</c>: the session daemon to the host engine).</summary>
    public async Task CopyAsync(string image, (string Doing, string Done) verb, CancellationToken cancellationToken)
    {
        var found = await source.Images.InspectAsync(image, cancellationToken).ConfigureAwait(false)
            ?? throw new DockerOperationException($"docker save {image}", $"{image} is not on {source.Endpoint}");
        await CopyAsync(image, found.Size, verb, cancellationToken).ConfigureAwait(false);
    }

    // imageSize: the unpacked size; a saved image is about as large, so it estimates the transfer.
    private async Task CopyAsync(string image, long imageSize, (string Doing, string Done) verb, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var saved = await source.Images.SaveAsync(image, cancellationToken).ConfigureAwait(false);
        var counted = new CountingReadStream(saved);
        using (_progress.Start($"{verb.Doing} {image}", () => counted.BytesRead, imageSize))
        {
            await target.Images.LoadAsync(counted, cancellationToken).ConfigureAwait(false);
        }

        var seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
        log.Information("{Done} {Image}: {MiB:0.0} MiB in {Seconds:0.0} s ({Rate:0} MiB/s)", verb.Done, image, counted.BytesRead / 1048576.0, seconds, counted.BytesRead / 1048576.0 / seconds);
    }
}
