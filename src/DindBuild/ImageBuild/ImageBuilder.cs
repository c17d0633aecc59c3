using System.IO.Pipelines;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.ImageBuild.BuildKit;
using Serilog;

namespace DindBuild.ImageBuild;

/// <summary>
/// <c>docker build</c> against the session's daemon: the context is streamed as a tar honouring
/// <c>.dockerignore</c>, the output goes to the log (BuildKit's trace decoded into plain progress lines), and a
/// failure names the failing step and its Dockerfile line.
/// </summary>
/// <remarks>Dockerfile paths in messages are shown relative to <c>displayRoot</c> (the repository root) when inside it.</remarks>
internal sealed class ImageBuilder(IDockerEngine engine, ILogger log, ProgressReporter? progress = null, string? displayRoot = null)
{
    private readonly ProgressReporter _progress = progress ?? ProgressReporter.ForConsole(log);

    // neverSentDirectories: never sent in the context when inside it (the host artifacts directory), besides DindBuild's state.
    public async Task<ImageSummary> BuildAsync(string contextDirectory, ImageBuildSpec spec, CancellationToken cancellationToken, IReadOnlyList<string>? neverSentDirectories = null)
    {
        ValidateInputs(contextDirectory, spec.Dockerfile);
        var neverSent = NeverSent.For(contextDirectory, neverSentDirectories ?? []);
        foreach (var directory in neverSent.Directories)
        {
            log.Debug("Not sent in the build context, whatever .dockerignore says: {Directory}/ and every .dindbuild entry", directory);
        }

        var dockerfile = DockerfileSource.Load(contextDirectory, spec.Dockerfile, displayRoot);
        if (spec.Builder == BuilderKind.Classic)
        {
            RefuseBuildKitSyntax(dockerfile);
        }
        else if (DockerfileBuildKitFeatures.MountsSecrets(dockerfile.Text))
        {
            spec = spec with { SecretMounts = true };
        }

        // The tag's image before this build: replaced by it, it would be left dangling (see RemoveReplacedAsync).
        var previous = await engine.Images.InspectAsync(spec.Tag, cancellationToken).ConfigureAwait(false);
        Exception? transportFailure = null;
        string? error = null;
        using var activity = _progress.Start($"Building {spec.Tag}");
        IBuildOutput output = spec.Builder == BuilderKind.BuildKit ? new BuildKitBuildOutput(dockerfile, log, activity) : new ClassicBuildOutput(dockerfile, log, activity);

        var pipe = new Pipe();
        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = WriteContextAsync(contextDirectory, spec.Dockerfile, neverSent, pipe.Writer, stopWriting.Token);
        try
        {
            await using var reader = pipe.Reader.AsStream();
            await engine.Images.BuildAsync(spec, reader, output.Observe, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && output.Error is null)
        {
            error = ex.GetBaseException().Message;
            transportFailure = ex;
        }
        finally
        {
            // The daemon may stop reading early (a failed step); the writer must not wait for it forever.
            await stopWriting.CancelAsync().ConfigureAwait(false);
            await IgnoreCancellation(writer).ConfigureAwait(false);
            output.Complete();
        }

        if ((output.Error ?? error) is { } failed)
        {
            throw output.Failure(failed, transportFailure);
        }

        var image = await engine.Images.InspectAsync(spec.Tag, cancellationToken).ConfigureAwait(false)
            ?? throw new DindBuildException(FailureKind.BuildFailed, $"The build reported success but the image {spec.Tag} is not on the daemon.", "the daemon sent no error; 'docker image ls' on it shows what it has");
        var cache = output is BuildKitBuildOutput buildKit ? $"; Dockerfile steps: {buildKit.Counts.Ran} ran, {buildKit.Counts.Cached} cached" : "";
        log.Information("Built {Tag} ({Id}, {SizeMiB:0.0} MiB) with {Builder}{Cache:l}", spec.Tag, image.Id, image.Size / 1048576.0, spec.Builder == BuilderKind.BuildKit ? "BuildKit" : "the classic builder", cache);
        await RemoveReplacedAsync(previous, image, spec, cancellationToken).ConfigureAwait(false);
        return image;
    }

    /// <summary>
    /// The session labels differ from run to run (session id, owner, time), so each build makes a new image and the
    /// tag moves to it: on a daemon that outlives the session (dood, external) the previous run's image stays behind
    /// untagged — one dangling image per run. It is removed when it carries DindBuild's labels (it was a run's own
    /// image, never the user's) and no tag or container holds it any more.
    /// </summary>
    private async Task RemoveReplacedAsync(ImageSummary? previous, ImageSummary built, ImageBuildSpec spec, CancellationToken cancellationToken)
    {
        if (previous is null || previous.Id == built.Id || !spec.Labels.Keys.Any(previous.Labels.ContainsKey))
        {
            return;
        }

        var now = await engine.Images.InspectAsync(previous.Id, cancellationToken).ConfigureAwait(false);
        if (now is null || now.Tags.Count > 0)
        {
            return;
        }

        try
        {
            if (await engine.Images.RemoveAsync(previous.Id, cancellationToken).ConfigureAwait(false))
            {
                log.Information("Removed {Id}, the image {Tag} was before this build (an earlier run's, now untagged)", previous.Id, spec.Tag);
            }
        }
        catch (DockerOperationException ex)
        {
            log.Information("Kept {Id}, the image {Tag} was before this build: {Reason}", previous.Id, spec.Tag, ex.Message);
        }
    }

    /// <summary>The classic builder would reject most of this late and run a heredoc's body not at all: say so before building.</summary>
    private static void RefuseBuildKitSyntax(DockerfileSource dockerfile)
    {
        var uses = DockerfileBuildKitFeatures.Find(dockerfile.Text);
        if (uses.Count == 0)
        {
            return;
        }

        var (line, what) = uses[0];
        throw new DindBuildException(
            FailureKind.BuildFailed,
            $"The Dockerfile needs BuildKit, and the classic builder was chosen: {dockerfile.DisplayPath}:{line} uses {what} (the classic builder {(what.StartsWith("a heredoc", StringComparison.Ordinal) ? "would skip its body and report success" : "rejects it")}).",
            string.Join('\n', uses.Select(use => $"{dockerfile.DisplayPath}:{use.Line}: {use.What}")),
            "build with BuildKit ('--builder auto' or 'buildkit', on a daemon that has it), or rewrite those lines for the classic builder.")
        {
            Location = new SourceLocation(dockerfile.Path, line),
        };
    }

    private static void ValidateInputs(string contextDirectory, string dockerfile)
    {
        try
        {
            BuildContextArchive.ValidateContextDirectory(contextDirectory);
        }
        catch (ArgumentException ex)
        {
            throw new DindBuildException(FailureKind.BadParameters, ex.Message, null, "point '--context' at the directory that holds your Dockerfile.", ex);
        }

        var dockerfilePath = Path.Combine(contextDirectory, dockerfile);
        if (!File.Exists(dockerfilePath))
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"The Dockerfile {dockerfilePath} does not exist.",
                $"files in {contextDirectory}: {string.Join(", ", Directory.EnumerateFileSystemEntries(contextDirectory).Select(Path.GetFileName).Order().Take(20))}",
                "give '--dockerfile' relative to the context directory.");
        }
    }

    /// <summary>The context as a tar into <paramref name="pipe"/>, completed with the failure if writing fails (also for <see cref="Compose.DindComposeHost"/>).</summary>
    internal static async Task WriteContextAsync(string contextDirectory, string dockerfile, NeverSent neverSent, PipeWriter pipe, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await using (var stream = pipe.AsStream(leaveOpen: true))
            {
                await BuildContextArchive.WriteAsync(contextDirectory, dockerfile, stream, cancellationToken, neverSent).ConfigureAwait(false);
            }

            await pipe.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await pipe.CompleteAsync(ex).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected when the build ended before the whole context was read.
        }
    }
}
