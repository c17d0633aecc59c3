using DindBuild.ImageBuild;
using DindBuild.Diagnostics;

namespace DindBuild.Settings;

/// <summary>
/// Checks the inputs before any daemon starts: a missing Dockerfile found after a minute of seeding
/// images is a minute lost, and one found in CI after the daemon started leaves more to clean up.
/// Every problem is reported in one go, so that fixing one does not just reveal the next.
/// </summary>
internal static class InputChecks
{
    private const int MaxListed = 20;

    /// <exception cref="DindBuildException">With <see cref="FailureKind.BadParameters"/>, listing every problem found.</exception>
    public static void ThrowIfInvalid(DindSettings settings, InputCheckScope scope)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<InputProblem>();
        if (scope.HasFlag(InputCheckScope.Build))
        {
            CheckBuild(settings, problems);
        }

        if (scope.HasFlag(InputCheckScope.Artifacts))
        {
            CheckArtifacts(settings, problems);
        }

        if (problems.Count == 1)
        {
            throw new DindBuildException(FailureKind.BadParameters, problems[0].What, problems[0].Evidence, problems[0].Fix);
        }

        if (problems.Count > 1)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"{problems.Count} inputs are invalid (found before any daemon started).",
                string.Join('\n', problems.Select((problem, i) => $"{i + 1}. {problem.What}\n   {problem.Evidence.Replace("\n", "\n   ", StringComparison.Ordinal)}")),
                string.Join(' ', problems.Select((problem, i) => $"{i + 1}. {problem.Fix}")));
        }
    }

    private static void CheckBuild(DindSettings settings, List<InputProblem> problems)
    {
        CheckBuildSecrets(settings, problems);
        CheckComposeFiles(settings, problems);
        var context = settings.ContextDirectory;
        if (!Directory.Exists(context))
        {
            problems.Add(new(
                $"The build context directory {context} {(File.Exists(context) ? "is a file, not a directory" : "does not exist")}.",
                $"--context resolves to {context}: relative paths are under the repository root {settings.RepositoryRoot}{NearestDirectory(context)}",
                "give '--context' as an existing directory, relative to the repository root or absolute."));
            return;
        }

        try
        {
            BuildContextArchive.ValidateContextDirectory(context);
        }
        catch (ArgumentException ex)
        {
            problems.Add(new(
                ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal),
                $"--context resolves to {context}",
                "point '--context' at the project directory that holds the Dockerfile."));
            return;
        }

        var dockerfile = settings.DockerfilePath;
        if (!File.Exists(dockerfile))
        {
            var candidates = DockerfileLikeFiles(context);
            problems.Add(new(
                $"The Dockerfile {dockerfile} {(Directory.Exists(dockerfile) ? "is a directory, not a file" : "does not exist")}.",
                candidates.Count == 0
                    ? $"no Dockerfile-like file (Dockerfile*, *.Dockerfile, Containerfile*) in {context}"
                    : $"Dockerfile-like files in {context}: {string.Join(", ", candidates)}",
                candidates.Count == 0
                    ? "add a Dockerfile to the context, or point '--context' at the directory that has one."
                    : $"give '--dockerfile' relative to the context directory, e.g. '--dockerfile {candidates[0]}'."));
            return;
        }

        if (settings.TargetStage is { } target)
        {
            CheckTargetStage(dockerfile, target, problems);
        }
    }

    /// <summary>Every <c>--compose-file</c> must be a file; a missing one names the compose files beside where it was looked for.</summary>
    private static void CheckComposeFiles(DindSettings settings, List<InputProblem> problems)
    {
        foreach (var file in settings.Compose.Files.Where(file => !File.Exists(file)))
        {
            var directory = Path.GetDirectoryName(file)!;
            var beside = Directory.Exists(directory)
                ? Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().Where(name => name.Contains("compose", StringComparison.OrdinalIgnoreCase) && (name.EndsWith(".yml", StringComparison.Ordinal) || name.EndsWith(".yaml", StringComparison.Ordinal))).Order(StringComparer.Ordinal).ToList()
                : [];
            problems.Add(new(
                $"The compose file {file} {(Directory.Exists(file) ? "is a directory, not a file" : "does not exist")}.",
                $"--compose-file is relative to the repository root {settings.RepositoryRoot}; compose files in {directory}: {(beside.Count == 0 ? "(none)" : string.Join(", ", beside))}{NearestDirectory(file)}",
                beside.Count == 0
                    ? "give '--compose-file' as the path of a compose file, relative to the repository root or absolute."
                    : $"did you mean '--compose-file {Path.GetRelativePath(settings.RepositoryRoot, Path.Combine(directory, NearestName.Find(Path.GetFileName(file), beside) ?? beside[0]))}'?"));
        }
    }

    /// <summary>Every secret's source must be readable now; the classic builder cannot take secrets at all.</summary>
    private static void CheckBuildSecrets(DindSettings settings, List<InputProblem> problems)
    {
        if (!settings.BuildSecrets.IsEmpty && settings.Builder == BuilderChoice.Classic)
        {
            problems.Add(new(
                "--builder classic cannot pass build secrets: only BuildKit serves RUN --mount=type=secret.",
                string.Join('\n', settings.BuildSecrets.Select(secret => secret.Describe())),
                "use '--builder buildkit' or 'auto' (the default), or drop the --build-secret parameters."));
        }

        foreach (var secret in settings.BuildSecrets)
        {
            if (secret.Problem(Environment.GetEnvironmentVariable) is { } problem)
            {
                problems.Add(new($"The build secret '{secret.Id}' cannot be read: {problem}.", secret.Describe(), BuildSecretSource.Fix));
            }
        }
    }

    private static void CheckTargetStage(string dockerfile, string target, List<InputProblem> problems)
    {
        string text;
        try
        {
            text = File.ReadAllText(dockerfile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new($"The Dockerfile {dockerfile} cannot be read.", ex.Message, "make the Dockerfile readable by this user."));
            return;
        }

        var stages = DockerfileStages.Parse(text);
        if (DockerfileStages.Named(stages, target) is not null)
        {
            return;
        }

        var names = stages.Select(stage => stage.Name).OfType<string>().ToList();
        problems.Add(new(
            $"--target-stage '{target}' is not a stage of {dockerfile}.",
            $"stages: {DockerfileStages.Describe(stages)}",
            names.Count == 0
                ? "name the stage in the Dockerfile ('FROM image AS name'), or leave out '--target-stage' to build the last stage."
                : $"give one of the named stages ({string.Join(", ", names.Select(name => $"'{name}'"))}) as '--target-stage', or leave it out to build the last stage."));
    }

    private static void CheckArtifacts(DindSettings settings, List<InputProblem> problems)
    {
        var directory = settings.HostArtifactsDirectory;
        if (WhyNotWritable(directory) is { } reason)
        {
            problems.Add(new(
                $"The artifacts directory {directory} is not writable: {reason}.",
                $"--artifacts-dir resolves to {directory}: relative paths are under the repository root {settings.RepositoryRoot}",
                "give '--artifacts-dir' a directory this user can create and write to, or fix its permissions."));
        }
    }

    /// <summary>Creates the directory and writes and deletes a probe file in it: the only test that covers ACLs, read-only mounts and full disks.</summary>
    private static string? WhyNotWritable(string directory)
    {
        if (File.Exists(directory))
        {
            return "it is a file, not a directory";
        }

        if (FileAncestor(directory) is { } file)
        {
            return $"{file} is a file, not a directory";
        }

        var probe = Path.Combine(directory, $".dindbuild-write-probe-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(probe, [0]);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message.TrimEnd('.');
        }
    }

    private static string? FileAncestor(string path)
    {
        for (var parent = Path.GetDirectoryName(path); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                return parent;
            }

            if (Directory.Exists(parent))
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>The closest parent that exists and the directories in it, which usually shows the typo.</summary>
    private static string NearestDirectory(string path)
    {
        for (var parent = Path.GetDirectoryName(path); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (!Directory.Exists(parent))
            {
                continue;
            }

            try
            {
                var names = Directory.EnumerateDirectories(parent).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(MaxListed + 1).ToList();
                var listed = names.Count == 0 ? "(none)" : string.Join(", ", names.Take(MaxListed)) + (names.Count > MaxListed ? ", …" : "");
                return $"\nthe nearest existing directory is {parent}; directories in it: {listed}";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"\nthe nearest existing directory is {parent}";
            }
        }

        return "";
    }

    /// <summary>Dockerfile*, *.Dockerfile and Containerfile* up to two levels down, relative to the context.</summary>
    private static List<string> DockerfileLikeFiles(string context)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2, IgnoreInaccessible = true };
        return Directory.EnumerateFiles(context, "*", options)
            .Where(path => Path.GetFileName(path) is var name
                && !name.EndsWith(".dockerignore", StringComparison.OrdinalIgnoreCase)
                && (name.StartsWith("Dockerfile", StringComparison.OrdinalIgnoreCase)
                    || name.EndsWith(".Dockerfile", StringComparison.OrdinalIgnoreCase)
                    || name.StartsWith("Containerfile", StringComparison.OrdinalIgnoreCase)))
            .Select(path => Path.GetRelativePath(context, path))
            .OrderBy(path => path.Count(c => c == Path.DirectorySeparatorChar))
            .ThenBy(path => path, StringComparer.Ordinal)
            .Take(MaxListed)
            .ToList();
    }

    private sealed record InputProblem(string What, string Evidence, string Fix);
}
