using System.Diagnostics;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.IO;
using Serilog;

namespace DindBuild.Images;

/// <summary>
/// <c>docker load -i FILE</c> (<c>gunzip -c FILE.tar.gz | docker load</c>) into the session's daemon, streamed:
/// the images of <c>--seed-archive</c> files, for runners with no host engine and no registry.
/// </summary>
internal sealed class ArchiveSeeder(IDockerEngine target, ILogger log, ProgressReporter? progress = null)
{
    private readonly ProgressReporter _progress = progress ?? ProgressReporter.ForConsole(log);

    public async Task LoadAsync(IReadOnlyList<SeedArchive> archives, CancellationToken cancellationToken)
    {
        foreach (var archive in archives)
        {
            var clock = Stopwatch.StartNew();
            await using var file = File.OpenRead(archive.Path);
            var counted = new CountingReadStream(file);
            await using var content = archive.Compressed ? new System.IO.Compression.GZipStream(counted, System.IO.Compression.CompressionMode.Decompress) : (Stream)counted;
            try
            {
                using (_progress.Start($"Loading {Path.GetFileName(archive.Path)}", () => counted.BytesRead, file.Length))
                {
                    await target.Images.LoadAsync(content, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (DockerOperationException ex)
            {
                throw new DindBuildException(
                    FailureKind.BuildFailed,
                    $"The session's daemon refused the seed archive {archive.Path}.",
                    ex.EngineMessage,
                    "check the file with 'docker load -i FILE' on another engine, or write it again with 'docker save IMAGE -o FILE'.",
                    ex);
            }

            var seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            log.Information(
                "Loaded {Archive} ({MiB:0.0} MiB in {Seconds:0.0} s): {Images}",
                archive.Path,
                counted.BytesRead / 1048576.0,
                seconds,
                archive.Images.Count == 0 ? "no tagged images (it names none)" : string.Join(", ", archive.Images));
        }
    }
}
