using System.Globalization;
using System.IO.Pipelines;
using System.Text.RegularExpressions;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.ImageBuild;

/// <summary>
/// <c>docker build</c> against the session's daemon: the context is streamed as a tar honouring
/// <c>.dockerignore</c>, the output goes to the log, and a failure names the failing step.
/// </summary>
internal sealed partial class ImageBuilder(IDockerEngine engine, ILogger log, ProgressReporter? progress = null)
{
    private readonly ProgressReporter _progress = progress ?? ProgressReporter.ForConsole(log);

    private const int EvidenceLines = 20;

    // neverSentDirectories: never sent in the context when inside it (the host artifacts directory), besides DindBuild's state.
    public async Task<ImageSummary> BuildAsync(string contextDirectory, ImageBuildSpec spec, CancellationToken cancellationToken, IReadOnlyList<string>? neverSentDirectories = null)
    {
        ValidateInputs(contextDirectory, spec.Dockerfile);
        var neverSent = NeverSent.For(contextDirectory, neverSentDirectories ?? []);
        foreach (var directory in neverSent.Directories)
        {
            log.Debug("Not sent in the build context, whatever .dockerignore says: {Directory}/ and every .dindbuild entry", directory);
        }

        var output = new List<string>();
        string? currentStep = null;
        var currentStepNumber = 0;
        string? error = null;
        Exception? transportFailure = null;
        using var activity = _progress.Start($"Building {spec.Tag}");

        void OnMessage(ProgressMessage message)
        {
            foreach (var line in (message.Text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
            {
                output.Add(line);
                if (StepLine().Match(line) is { Success: true } step)
                {
                    currentStep = line.Trim();
                    currentStepNumber = int.Parse(step.Groups[1].Value, CultureInfo.InvariantCulture);
                    activity.SetStep(int.Parse(step.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(step.Groups[2].Value, CultureInfo.InvariantCulture), step.Groups[3].Value.Trim());
                }

                log.Information("build │ {Line}", line);
            }

            if (message.Error is { Length: > 0 } text)
            {
                error = text;
                log.Error("build │ {Error}", text);
            }
        }

        var pipe = new Pipe();
        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = WriteContextAsync(contextDirectory, spec.Dockerfile, neverSent, pipe.Writer, stopWriting.Token);
        try
        {
            await using var reader = pipe.Reader.AsStream();
            await engine.Images.BuildAsync(spec, reader, OnMessage, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && error is null)
        {
            error = ex.GetBaseException().Message;
            transportFailure = ex;
        }
        finally
        {
            // The daemon may stop reading early (a failed step); the writer must not wait for it forever.
            await stopWriting.CancelAsync().ConfigureAwait(false);
            await IgnoreCancellation(writer).ConfigureAwait(false);
        }

        if (error is not null)
        {
            var at = currentStep is null ? "" : $" at '{currentStep}'";
            var dockerfilePath = Path.Combine(contextDirectory, spec.Dockerfile);
            var line = currentStepNumber == 0 ? null : DockerfileBaseImages.LineOfInstruction(File.ReadAllText(dockerfilePath), currentStepNumber);
            throw new DindBuildException(
                FailureKind.BuildFailed,
                $"The image build failed{at}: {error}",
                "build output (last lines):\n" + string.Join('\n', output.TakeLast(EvidenceLines)),
                $"fix the failing step in {spec.Dockerfile}; 'docker build -f {spec.Dockerfile} {contextDirectory}' reproduces it outside DindBuild.",
                transportFailure)
            {
                Location = line is { } number ? new SourceLocation(dockerfilePath, number) : null,
            };
        }

        var image = await engine.Images.InspectAsync(spec.Tag, cancellationToken).ConfigureAwait(false)
            ?? throw new DindBuildException(FailureKind.BuildFailed, $"The build reported success but the image {spec.Tag} is not on the daemon.", string.Join('\n', output.TakeLast(EvidenceLines)));
        log.Information("Built {Tag} ({Id}, {SizeMiB:0.0} MiB)", spec.Tag, image.Id, image.Size / 1048576.0);
        return image;
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

    private static async Task WriteContextAsync(string contextDirectory, string dockerfile, NeverSent neverSent, PipeWriter pipe, CancellationToken cancellationToken)
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

    [GeneratedRegex(@"^Step (\d+)/(\d+) :(.*)")]
    private static partial Regex StepLine();
}
