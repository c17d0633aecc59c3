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

    /// <summary>Returns the image name; builds it only when it is missing or its recipe changed.</summary>
    internal async Task<string> EnsureAsync(IDockerEngine engine, ImageRecipe recipe, CancellationToken cancellationToken)
    {
        if (await IsCurrentAsync(engine, recipe, cancellationToken).ConfigureAwait(false))
        {
            log.Debug("Reusing {Image} (recipe {Fingerprint})", recipe.ImageName, recipe.Fingerprint);
            return recipe.ImageName;
        }

        // Parallel runs on one host would otherwise each spend half a minute building the same image.
        using var hostLock = await HostFileLock.AcquireAsync(LockPath, TimeSpan.FromMinutes(15), cancellationToken).ConfigureAwait(false);
        if (await IsCurrentAsync(engine, recipe, cancellationToken).ConfigureAwait(false))
        {
            return recipe.ImageName;
        }

        await BuildAsync(engine, recipe, cancellationToken).ConfigureAwait(false);
        return recipe.ImageName;
    }

    private static async Task<bool> IsCurrentAsync(IDockerEngine engine, ImageRecipe recipe, CancellationToken cancellationToken)
    {
        var image = await engine.Images.InspectAsync(recipe.ImageName, cancellationToken).ConfigureAwait(false);
        return image is not null && image.Labels.TryGetValue(ImageRecipe.FingerprintLabel, out var fingerprint) && fingerprint == recipe.Fingerprint;
    }

    private async Task BuildAsync(IDockerEngine engine, ImageRecipe recipe, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
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
