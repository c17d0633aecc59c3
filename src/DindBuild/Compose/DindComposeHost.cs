using System.IO.Pipelines;
using System.Text;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.ImageBuild;
using Serilog;

namespace DindBuild.Compose;

/// <summary>
/// Where <c>docker compose</c> runs in dind mode: in the DinD container itself (the engine's exec API on the host engine),
/// with its CLI reaching the inner daemon at /var/run/docker.sock. The compose files' directories are copied there at the
/// same absolute paths as on the build host, so that relative bind mounts and build contexts resolve as they would
/// beside the files; the session daemon's bind mounts are resolved in that container's filesystem.
/// </summary>
internal sealed class DindComposeHost(IDockerEngine host, string containerId, ILogger log)
{
    /// <summary>Not under /tmp: the entry script mounts a tmpfs there, which the archive API does not see.</summary>
    public const string StagingDirectory = "/dindbuild-compose-staging";

    public string OverridePath => StagingDirectory + "/override.json";

    /// <summary>
    /// Copies each directory into the container at its own path, streamed (a project may be large): through the
    /// archive API into the staging directory, then <c>cp -a</c> inside the container, so that the copy lands in the
    /// container's own view of the path (its tmpfs /tmp included). <c>.dockerignore</c> applies, and DindBuild's state
    /// and the artifacts directory are never copied.
    /// </summary>
    public async Task CopyDirectoriesAsync(IReadOnlyList<(string Directory, string AnyFileInIt)> directories, IReadOnlyList<string> neverSent, CancellationToken cancellationToken)
    {
        for (var i = 0; i < directories.Count; i++)
        {
            var (directory, file) = directories[i];
            var staged = $"{StagingDirectory}/{i}";
            await ShellAsync($"rm -rf '{staged}' && mkdir -p '{staged}'", cancellationToken).ConfigureAwait(false);
            var pipe = new Pipe();
            using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var writer = ImageBuilder.WriteContextAsync(directory, Path.GetRelativePath(directory, file), NeverSent.For(directory, neverSent), pipe.Writer, stopWriting.Token);
            try
            {
                await host.Containers.PutArchiveAsync(containerId, staged, pipe.Reader.AsStream(), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await stopWriting.CancelAsync().ConfigureAwait(false);
                await Ignore(writer).ConfigureAwait(false);
            }

            await writer.ConfigureAwait(false);
            await ShellAsync($"mkdir -p {Quote(directory)} && cp -a '{staged}/.' {Quote(directory)}/ && rm -rf '{staged}'", cancellationToken).ConfigureAwait(false);
            log.Debug("Copied {Directory} into the DinD container at the same path", directory);
        }
    }

    /// <summary>Writes a small file into the staging directory (the archive API; not under /tmp).</summary>
    public async Task PutFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        await ShellAsync($"mkdir -p '{Path.GetDirectoryName(path)}'", cancellationToken).ConfigureAwait(false);
        using var tar = SingleFileTar.Of(Path.GetFileName(path), content);
        await host.Containers.PutArchiveAsync(containerId, Path.GetDirectoryName(path)!, tar, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>docker compose ARGS…</c> in the container; each output line to <paramref name="onLine"/> (true: stderr).</summary>
    public Task<long> ComposeAsync(IReadOnlyList<string> arguments, Action<string, bool> onLine, CancellationToken cancellationToken) =>
        DockerAsync(["compose", .. arguments], onLine, cancellationToken);

    /// <summary>The docker CLI in the container, against the inner daemon.</summary>
    public Task<long> DockerAsync(IReadOnlyList<string> arguments, Action<string, bool> onLine, CancellationToken cancellationToken) =>
        host.Containers.ExecAsync(containerId, ["docker", .. arguments], onLine, cancellationToken);

    private async Task ShellAsync(string script, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var exitCode = await host.Containers.ExecAsync(containerId, ["sh", "-c", script], (line, _) => output.AppendLine(line), cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new DindBuildException(
                FailureKind.Infrastructure,
                $"Preparing the compose project in the DinD container failed (exit code {exitCode}).",
                $"sh -c {script}\n{output}",
                "check the DinD container's free space ('docker exec CONTAINER df -h').");
        }
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task Ignore(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // Reported by the await that follows the upload, or the upload's own failure says more.
        }
    }
}
