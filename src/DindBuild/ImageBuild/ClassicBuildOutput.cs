using System.Globalization;
using System.Text.RegularExpressions;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.ImageBuild;

/// <summary>The classic builder's output: <c>Step 3/7 : RUN …</c> lines and the steps' output, as text.</summary>
internal sealed partial class ClassicBuildOutput(DockerfileSource dockerfile, ILogger log, ProgressActivity activity) : IBuildOutput
{
    private const int EvidenceLines = 20;

    private readonly Queue<string> _tail = new();
    private string? _currentStep;
    private int _currentStepNumber;

    public string? Error { get; private set; }

    public void Observe(ProgressMessage message)
    {
        foreach (var line in (message.Text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
        {
            _tail.Enqueue(line);
            if (_tail.Count > EvidenceLines)
            {
                _tail.Dequeue();
            }

            if (StepLine().Match(line) is { Success: true } step)
            {
                _currentStep = line.Trim();
                _currentStepNumber = int.Parse(step.Groups[1].Value, CultureInfo.InvariantCulture);
                activity.SetStep(_currentStepNumber, int.Parse(step.Groups[2].Value, CultureInfo.InvariantCulture), step.Groups[3].Value.Trim());
            }

            log.Information("build │ {Line}", line);
        }

        if (message.Error is { Length: > 0 } text)
        {
            Error = text;
            log.Error("build │ {Error}", text);
        }
    }

    public void Complete()
    {
    }

    public DindBuildException Failure(string error, Exception? transportFailure)
    {
        var line = _currentStepNumber == 0 ? null : DockerfileBaseImages.LineOfInstruction(dockerfile.Text, _currentStepNumber);
        return dockerfile.BuildFailed(_currentStep, line, error, "build output (last lines):\n" + string.Join('\n', _tail), transportFailure);
    }

    [GeneratedRegex(@"^Step (\d+)/(\d+) :(.*)")]
    private static partial Regex StepLine();
}
