using System.Text.RegularExpressions;

namespace DindBuild.ImageBuild.BuildKit;

/// <summary>
/// Finds the Dockerfile line of a BuildKit step from the name BuildKit gives it: <c>[build 3/5] RUN dotnet restore</c>.
/// </summary>
/// <remarks>
/// Measured on Docker 20.10 and 26: the bracket holds the stage's name (<c>stage-N</c> for an unnamed stage of a
/// multi-stage Dockerfile, nothing for a single stage, a platform first when one is named) and the step's number
/// among the stage's instructions that make a step — FROM, RUN, COPY, ADD, WORKDIR; ENV, ARG, LABEL and the
/// like do not count. The instruction's keyword is checked against the name, so a count that differs from
/// this one (a frontend that numbers differently) gives no line rather than a wrong one.
/// </remarks>
internal static partial class VertexLocator
{
    private static readonly HashSet<string> StepInstructions = new(StringComparer.OrdinalIgnoreCase) { "FROM", "RUN", "COPY", "ADD", "WORKDIR" };

    /// <summary>The step's stage (null when the bracket names none), number and count, and the instruction text; null for <c>[internal] …</c> and other names.</summary>
    public static (string? Stage, int Number, int Count, string Text)? Parse(string vertexName)
    {
        if (StepName().Match(vertexName) is not { Success: true } match)
        {
            return null;
        }

        // The stage is the last word before the numbers; a platform (linux/amd64) before it has a '/', a name never does.
        var words = match.Groups["prefix"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var stage = words.Length > 0 && !words[^1].Contains('/', StringComparison.Ordinal) ? words[^1] : null;
        return (stage, int.Parse(match.Groups["number"].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["text"].Value);
    }

    /// <summary>The 1-based line of the instruction that made the step; null when it cannot be told for sure.</summary>
    public static int? LineOf(string dockerfileText, string vertexName)
    {
        if (Parse(vertexName) is not { } step)
        {
            return null;
        }

        // The stages as DockerfileStages reads them (so both agree on names), each with its step-making instructions.
        var fromLines = DockerfileStages.Parse(dockerfileText).ToDictionary(stage => stage.Line);
        var stages = new List<(string? Name, List<DockerfileInstruction> Steps)>();
        foreach (var instruction in DockerfileInstructions.Read(dockerfileText).Instructions)
        {
            if (instruction.Keyword.Equals("FROM", StringComparison.OrdinalIgnoreCase) && fromLines.TryGetValue(instruction.LineNumber, out var from))
            {
                stages.Add((from.Name, []));
            }

            if (stages.Count > 0 && StepInstructions.Contains(instruction.Keyword))
            {
                stages[^1].Steps.Add(instruction);
            }
        }

        var stage = step.Stage switch
        {
            null when stages.Count == 1 => stages[0],
            null => default,
            var name when stages.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) is { Steps: not null } named => named,
            var name when name.StartsWith("stage-", StringComparison.Ordinal) && int.TryParse(name["stage-".Length..], out var index) && index < stages.Count && stages[index].Name is null => stages[index],
            _ => default,
        };
        if (stage.Steps is null || step.Number < 1 || step.Number > stage.Steps.Count)
        {
            return null;
        }

        var instructionOfStep = stage.Steps[step.Number - 1];
        var keyword = step.Text.Split(' ', 2)[0];
        return keyword.Equals(instructionOfStep.Keyword, StringComparison.OrdinalIgnoreCase) ? instructionOfStep.LineNumber : null;
    }

    [GeneratedRegex(@"^\[(?<prefix>[^\]]*?)\s*(?<number>\d{1,6})/(?<count>\d{1,6})\] (?<text>.*)$", RegexOptions.Singleline)]
    private static partial Regex StepName();
}
