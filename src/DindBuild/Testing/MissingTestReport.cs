using DindBuild.ImageBuild;
using DindBuild.Diagnostics;
using DindBuild.Settings;

namespace DindBuild.Testing;

/// <summary>
/// The error for a run whose artifacts hold no JUnit or TRX report. A test command that ran nothing exits 0
/// just as one whose tests passed does; the usual causes are the wrong stage (a multi-stage Dockerfile built
/// to its runtime stage) or a command that writes its report somewhere else, so the message shows both.
/// </summary>
internal static class MissingTestReport
{
    private const int MaxFilesListed = 10;

    public static DindBuildException Error(DindSettings settings, string artifactsPathInContainer)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(artifactsPathInContainer);
        var stages = ReadStages(settings.DockerfilePath);
        var builtLastStage = settings.TargetStage is null && stages.Count > 1;

        var evidence = new List<string>
        {
            settings.TestCommand is { } command ? $"test command: {command}" : "test command: the image's CMD (no --test-command)",
        };
        if (builtLastStage)
        {
            evidence.Add($"no --target-stage: the last stage '{Label(stages[^1])}' was built; stages: {DockerfileStages.Describe(stages)}");
        }
        else if (settings.TargetStage is { } target)
        {
            evidence.Add($"--target-stage: '{target}' was built");
        }

        evidence.Add(Exported(settings.HostArtifactsDirectory));

        var fixes = new List<string>();
        if (builtLastStage && !LooksLikeTests(stages[^1].Name))
        {
            var guess = stages.Take(stages.Count - 1).Select(stage => stage.Name).LastOrDefault(LooksLikeTests);
            fixes.Add($"select the stage that runs the tests with '--target-stage {guess ?? "<stage>"}'");
        }

        var path = artifactsPathInContainer.TrimEnd('/');
        fixes.Add($"make the test command write a JUnit or TRX report into {artifactsPathInContainer}, e.g. "
            + $"dotnet test --logger \"trx;LogFileName={path}/tests.trx\" or pytest --junitxml={path}/junit.xml");
        fixes.Add("or, when the run has no tests to report, opt out with '--test-report optional'");

        return new DindBuildException(
            FailureKind.TestsFailed,
            $"The tests produced no test report in {artifactsPathInContainer}: a run that reports no tests is not green.",
            string.Join('\n', evidence),
            string.Join("; ", fixes) + ".");
    }

    /// <summary>Best effort: the error is about the report, and an unreadable Dockerfile must not replace it with another.</summary>
    private static IReadOnlyList<DockerfileStage> ReadStages(string dockerfilePath)
    {
        try
        {
            return DockerfileStages.Parse(File.ReadAllText(dockerfilePath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string Label(DockerfileStage stage) => stage.Name ?? "#" + stage.Index;

    /// <summary>Only a guess for the suggestion; when the last stage already looks like the tests, the stage is not suggested as the cause.</summary>
    private static bool LooksLikeTests(string? stageName) => stageName?.Contains("test", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>What did arrive, which often shows the report under another name or the wrong place.</summary>
    private static string Exported(string hostDirectory)
    {
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
            var files = Directory.Exists(hostDirectory)
                ? Directory.EnumerateFiles(hostDirectory, "*", options).Select(file => Path.GetRelativePath(hostDirectory, file)).Order(StringComparer.Ordinal).ToList()
                : [];
            return files.Count == 0
                ? $"exported to {hostDirectory}: no files"
                : $"exported to {hostDirectory}: {files.Count} file(s), none a JUnit or TRX report: {string.Join(", ", files.Take(MaxFilesListed))}{(files.Count > MaxFilesListed ? ", …" : "")}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"exported to {hostDirectory}: cannot be listed ({ex.Message})";
        }
    }
}
