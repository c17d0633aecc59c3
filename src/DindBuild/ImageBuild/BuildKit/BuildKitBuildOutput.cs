using DindBuild.Diagnostics;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.ImageBuild.BuildKit;

/// <summary>
/// A BuildKit build's output: the decoded trace as <c>--progress=plain</c> lines, the image id, and a failure that
/// names the failing step, its Dockerfile line and the tail of that step's output — or, for an offline
/// <c># syntax=</c> line, says that plainly.
/// </summary>
internal sealed class BuildKitBuildOutput : IBuildOutput
{
    private const int EvidenceLines = 20;

    private readonly DockerfileSource _dockerfile;
    private readonly ILogger _log;
    private readonly BuildKitProgress _progress;
    private readonly Queue<string> _tail = new();
    private int _unreadable;

    public BuildKitBuildOutput(DockerfileSource dockerfile, ILogger log, ProgressActivity activity)
    {
        _dockerfile = dockerfile;
        _log = log;
        _progress = new BuildKitProgress(Line, text => log.Warning("build │ {Line}", text), (number, count, name) => activity.SetStep(number, count, name));
    }

    public string? Error { get; private set; }

    /// <summary>Steps BuildKit took from its cache, and steps it ran.</summary>
    public (int Cached, int Ran) Counts => _progress.Counts;

    public void Observe(ProgressMessage message)
    {
        if (message.Trace is { } trace)
        {
            try
            {
                _progress.Observe(StatusResponseDecoder.Decode(trace));
            }
            catch (InvalidDataException ex)
            {
                // One unreadable update must not end the build's output: say so once, count the rest.
                if (_unreadable++ == 0)
                {
                    _log.Warning("build │ a BuildKit progress message could not be read and was skipped: {Reason}", ex.Message);
                }
            }
        }

        foreach (var line in (message.Text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
        {
            Line(line);
        }

        if (message.Error is { Length: > 0 } text)
        {
            Error = text;
            _log.Error("build │ {Error}", text);
        }
    }

    public void Complete()
    {
        _progress.Flush();
        if (_unreadable > 1)
        {
            _log.Warning("build │ {Count} BuildKit progress messages could not be read in all", _unreadable);
        }
    }

    public DindBuildException Failure(string error, Exception? transportFailure)
    {
        if (SyntaxFrontend.Explain(_dockerfile, error, transportFailure) is { } frontend)
        {
            return frontend;
        }

        if (_progress.Failure is { } step)
        {
            var line = VertexLocator.LineOf(_dockerfile.Text, step.Name);
            var output = step.OutputTail.Count == 0 ? "(the step printed nothing)" : string.Join('\n', step.OutputTail.TakeLast(EvidenceLines));
            return _dockerfile.BuildFailed(step.Name, line, error, $"output of #{step.Number} (last lines):\n{output}", transportFailure, Session.MissingSecret.FixFor(error));
        }

        return _dockerfile.BuildFailed(null, null, error, "build output (last lines):\n" + string.Join('\n', _tail), transportFailure, Session.MissingSecret.FixFor(error));
    }

    private void Line(string text)
    {
        _tail.Enqueue(text);
        if (_tail.Count > EvidenceLines)
        {
            _tail.Dequeue();
        }

        _log.Information("build │ {Line}", text);
    }
}
