using System.IO.Pipelines;
using CliWrap;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.Provisioning;

/// <summary>
/// Builds an <see cref="ImageRecipe"/> into an image on an engine:
/// <c>debootstrap --variant=minbase --include=… SUITE DIR</c>, then <c>tar -C DIR -c . | docker import</c>.
/// </summary>
public sealed class RootfsImageBuilder(ILogger log)
{
    private const string LockPath = "/var/tmp/dindbuild-images.lock";

    /// <summary>
    /// Returns the image name; builds it only when it is missing or its recipe changed. A stand-in
    /// (<see cref="ImageRecipe.IsStandIn"/>) is built only when the real image is neither on the engine
    /// nor pullable, and never over a real one.
    /// </summary>
    internal async Task<string> EnsureAsync(IDockerEngine engine, ImageRecipe recipe, CancellationToken cancellationToken)
    {
        if (await UsableAsync(engine, recipe, cancellationToken).ConfigureAwait(false))
        {
            return recipe.ImageName;
        }

        // Parallel runs on one host would otherwise each spend half a minute building the same image.
        using var hostLock = await HostFileLock.AcquireAsync(LockPath, TimeSpan.FromMinutes(15), cancellationToken).ConfigureAwait(false);
        if (await UsableAsync(engine, recipe, cancellationToken).ConfigureAwait(false))
        {
            return recipe.ImageName;
        }

        if (recipe.IsStandIn)
        {
            var pullError = await ImagePull.TryAsync(engine, recipe.ImageName, cancellationToken).ConfigureAwait(false);
            if (pullError is null)
            {
                log.Information("Pulled {Image}", recipe.ImageName);
                return recipe.ImageName;
            }

            log.Warning("{Image} cannot be pulled ({Reason}); building DindBuild's offline stand-in under that name (labelled {Label}=true)", recipe.ImageName, pullError, ImageRecipe.StandInLabel);
        }

        await BuildAsync(engine, recipe, cancellationToken).ConfigureAwait(false);
        return recipe.ImageName;
    }

    private async Task<bool> UsableAsync(IDockerEngine engine, ImageRecipe recipe, CancellationToken cancellationToken)
    {
        var image = await engine.Images.InspectAsync(recipe.ImageName, cancellationToken).ConfigureAwait(false);
        if (image is null)
        {
            return false;
        }

        if (recipe.IsStandIn && !image.Labels.ContainsKey(ImageRecipe.StandInLabel))
        {
            log.Debug("{Image} on {Endpoint} is not DindBuild's stand-in: using it as it is", recipe.ImageName, engine.Endpoint);
            return true;
        }

        var current = image.Labels.TryGetValue(ImageRecipe.FingerprintLabel, out var fingerprint) && fingerprint == recipe.Fingerprint;
        if (current)
        {
            log.Debug("Reusing {Image} (recipe {Fingerprint})", recipe.ImageName, recipe.Fingerprint);
        }

        return current;
    }

    private async Task BuildAsync(IDockerEngine engine, ImageRecipe recipe, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var replaced = await engine.Images.InspectAsync(recipe.ImageName, cancellationToken).ConfigureAwait(false);
        log.Information("Building {Image} from Debian {Suite} packages ({Packages}) with debootstrap; later runs reuse it", recipe.ImageName, recipe.Suite, string.Join(", ", recipe.Packages));
        await new AptPackages(log).EnsureInstalledAsync(["debootstrap"], $"Building {recipe.ImageName}", cancellationToken).ConfigureAwait(false);

        var root = Path.Combine("/var/tmp", $"dindbuild-rootfs-{Guid.NewGuid():N}");
        try
        {
            await new CommandRunner(log).RunAsync(
                "debootstrap",
                ["--variant=minbase", "--include=" + string.Join(',', recipe.Packages), recipe.Suite, root, DebianMirror.Find()],
                $"build the root filesystem of {recipe.ImageName}",
                "check that Debian's package mirror is reachable (apt-get update works) and that the suite and package names exist.",
                cancellationToken).ConfigureAwait(false);
            if (recipe.Addition is { } addition)
            {
                await addition.AddToAsync(root, log, cancellationToken).ConfigureAwait(false);
            }

            string[] changes = [.. recipe.Changes, $"LABEL {ImageRecipe.FingerprintLabel}={recipe.Fingerprint}"];
            await ImportDirectoryAsync(engine, root, recipe.ImageName, changes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await RemoveRootAsync(root).ConfigureAwait(false);
        }

        var image = await engine.Images.InspectAsync(recipe.ImageName, cancellationToken).ConfigureAwait(false)
            ?? throw new DindBuildException(FailureKind.Infrastructure, $"docker import reported success but {recipe.ImageName} is not on {engine.Endpoint}.");
        log.Information("Built {Image} ({SizeMiB:0} MiB) in {Seconds:0} s", recipe.ImageName, image.Size / 1048576.0, (DateTime.UtcNow - started).TotalSeconds);

        // The image of the old recipe is left without a name; unless a container still uses it, it goes
        // (a stand-in is several hundred megabytes, rebuilt whenever the context's package list changes).
        if (replaced is not null && replaced.Id != image.Id && await engine.Images.RemoveAsync(replaced.Id, cancellationToken).ConfigureAwait(false))
        {
            log.Debug("Removed {Id}, the previous {Image}", replaced.Id, recipe.ImageName);
        }
    }

    /// <summary>Streams <c>tar</c>'s output straight into the import call: no temporary archive on disk.</summary>
    private static async Task ImportDirectoryAsync(IDockerEngine engine, string root, string imageName, IReadOnlyList<string> changes, CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        var tar = Cli.Wrap("tar")
            .WithArguments(["--numeric-owner", "-C", root, "-c", "."])
            .WithStandardOutputPipe(PipeTarget.ToStream(pipe.Writer.AsStream(leaveOpen: true)))
            .ExecuteAsync(cancellationToken);
        var writer = Task.Run(
            async () =>
            {
                try
                {
                    await tar.ConfigureAwait(false);
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                    throw;
                }
            },
            cancellationToken);

        await using (var reader = pipe.Reader.AsStream())
        {
            await engine.Images.ImportAsync(reader, imageName, changes, cancellationToken).ConfigureAwait(false);
        }

        await writer.ConfigureAwait(false);
    }

    private async Task RemoveRootAsync(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        // --one-file-system: a mount debootstrap failed to undo (proc, sys) must never be recursed into.
        var result = await Cli.Wrap("rm").WithArguments(["-rf", "--one-file-system", root]).WithValidation(CommandResultValidation.None)
            .ExecuteAsync(CancellationToken.None).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            log.Warning("Could not remove the temporary root filesystem {Root}; remove it by hand", root);
        }
    }
}
