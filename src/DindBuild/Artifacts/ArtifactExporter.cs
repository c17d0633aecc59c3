using System.Diagnostics;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.IO;
using Serilog;

namespace DindBuild.Artifacts;

/// <summary>
/// <c>docker cp CONTAINER:PATH DIR</c> through the archive API — no bind mount of a host path, so
/// the same code works against a daemon on another host — extracted without ever writing outside DIR.
/// </summary>
internal sealed class ArtifactExporter(IDockerEngine engine, ILogger log, ProgressReporter? progress = null)
{
    private readonly ProgressReporter _progress = progress ?? ProgressReporter.ForConsole(log);

    /// <summary>Without an entry limit (the benchmark's use).</summary>
    public Task<ExtractionResult?> ExportAsync(string containerId, string containerPath, string hostDirectory, long maxBytes, CancellationToken cancellationToken) =>
        ExportAsync(containerId, containerPath, hostDirectory, maxBytes, int.MaxValue, cancellationToken);

    /// <summary>
    /// Null when the container has no such path (a warning, not a failure: the tests may have written nothing).
    /// <paramref name="maxBytes"/> limits file content and every entry (see <see cref="ExtractionBudget"/>);
    /// <paramref name="maxEntries"/> the number of entries, refused ones included.
    /// </summary>
    public async Task<ExtractionResult?> ExportAsync(string containerId, string containerPath, string hostDirectory, long maxBytes, int maxEntries, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var archive = await engine.Containers.GetArchiveAsync(containerId, containerPath, cancellationToken).ConfigureAwait(false);
        if (archive is null)
        {
            log.Warning("The test container has no {Path}: no artifacts to export", containerPath);
            return null;
        }

        try
        {
            Directory.CreateDirectory(hostDirectory);
            var probe = Path.Combine(hostDirectory, $".dindbuild-write-check-{Environment.ProcessId}");
            await File.WriteAllTextAsync(probe, "", cancellationToken).ConfigureAwait(false);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await archive.DisposeAsync().ConfigureAwait(false);
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"The artifacts cannot be written to {hostDirectory}: {ex.Message}",
                $"the test container's artifacts are still in its volume at {containerPath} until teardown",
                "point '--artifacts-dir' at a writable directory (relative paths are under the repository root).",
                ex);
        }

        await using (var counted = new CountingReadStream(archive))
        {
            var extractor = new SafeTarExtractor(hostDirectory, maxBytes, warning => log.Warning("artifacts │ {Warning}", warning), maxEntries);
            ExtractionResult result;
            using (_progress.Start($"Exporting {containerPath}", () => counted.BytesRead))
            {
                result = await extractor.ExtractAsync(counted, Path.GetFileName(containerPath.TrimEnd('/')), cancellationToken).ConfigureAwait(false);
            }

            log.Information(
                "Exported {Files} artifact files ({MiB:0.00} MiB; {Entries} entries, {CountedMiB:0.00} MiB counted against the limit) from {Path} to {Directory} in {Seconds:0.00} s",
                result.FilesWritten,
                result.BytesWritten / 1048576.0,
                result.Entries,
                result.CountedBytes / 1048576.0,
                containerPath,
                hostDirectory,
                clock.Elapsed.TotalSeconds);
            return result;
        }
    }
}
