using System.Text;
using DindBuild.Diagnostics;
using DindBuild.Docker;

namespace DindBuild.Settings;

/// <summary>
/// Where a build secret comes from, as <c>--build-secret</c> (like <c>docker build --secret</c>) names it:
/// <c>id=ID,env=VAR</c> (an environment variable of this process) or <c>id=ID,src=FILE</c> (a file, relative to the
/// repository root). Only the source is kept here; the value is read when the build starts (<see cref="Read"/>).
/// </summary>
public sealed record BuildSecretSource(string Id, string? EnvironmentVariable, string? SourceFile)
{
    private static readonly string[] Keys = ["id", "env", "src", "source"];

    /// <summary>Parses <c>id=ID,env=VAR</c> or <c>id=ID,src=FILE</c>; <c>source</c> is the CLI's other name for <c>src</c>.</summary>
    /// <exception cref="FormatException">An unknown or repeated key, no id, or not exactly one of env and src.</exception>
    public static BuildSecretSource Parse(string text, string repositoryRoot)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? part : part[..equals].Trim().ToLowerInvariant();
            if (!Keys.Contains(key))
            {
                throw new FormatException($"'{part}' in '{text}': the keys are id, env and src (id=ID,env=VAR or id=ID,src=FILE)");
            }

            if (equals < 0 || part[(equals + 1)..].Trim().Length == 0)
            {
                throw new FormatException($"'{key}' in '{text}' has no value");
            }

            if (!fields.TryAdd(key == "source" ? "src" : key, part[(equals + 1)..].Trim()))
            {
                throw new FormatException($"'{key}' is given twice in '{text}'");
            }
        }

        if (!fields.TryGetValue("id", out var id))
        {
            throw new FormatException($"'{text}' has no id: write id=ID,env=VAR or id=ID,src=FILE");
        }

        if (id.Any(c => c is '/' or '\\' || char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new FormatException($"the secret id '{id}' must not hold slashes, spaces or control characters");
        }

        var env = fields.GetValueOrDefault("env");
        var src = fields.GetValueOrDefault("src");
        if ((env is null) == (src is null))
        {
            throw new FormatException($"'{text}' must name exactly one source: env=VAR or src=FILE");
        }

        return new BuildSecretSource(id, env, src is null ? null : Path.GetFullPath(src, repositoryRoot));
    }

    /// <summary>What is wrong with the source now (an unset variable, a missing or oversized file), or null.</summary>
    public string? Problem(Func<string, string?> environment)
    {
        if (EnvironmentVariable is { } variable)
        {
            return environment(variable) is { Length: > 0 } value
                ? Encoding.UTF8.GetByteCount(value) > BuildSecret.MaxBytes ? $"the variable {variable} holds over {BuildSecret.MaxBytes / 1024} KiB" : null
                : $"the environment variable {variable} is not set (or empty)";
        }

        var file = new FileInfo(SourceFile!);
        return !file.Exists
            ? $"the file {SourceFile} does not exist{(Directory.Exists(SourceFile) ? " (it is a directory)" : "")}"
            : file.Length > BuildSecret.MaxBytes ? $"the file {SourceFile} has {file.Length} bytes; BuildKit takes at most {BuildSecret.MaxBytes}" : null;
    }

    /// <summary>The secret's value, read now.</summary>
    /// <exception cref="DindBuildException">With <see cref="FailureKind.BadParameters"/> when the source is unusable.</exception>
    public BuildSecret Read(Func<string, string?> environment)
    {
        if (Problem(environment) is { } problem)
        {
            throw new DindBuildException(FailureKind.BadParameters, $"The build secret '{Id}' cannot be read: {problem}.", Describe(), Fix);
        }

        try
        {
            return new BuildSecret(Id, EnvironmentVariable is { } variable ? Encoding.UTF8.GetBytes(environment(variable)!) : File.ReadAllBytes(SourceFile!));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DindBuildException(FailureKind.BadParameters, $"The build secret '{Id}' cannot be read: {ex.Message}", Describe(), Fix, ex);
        }
    }

    /// <summary>The value's text forms to mask in logs: the whole value and each of its lines (a step's output is logged line by line).</summary>
    public IEnumerable<string> MaskedValues(Func<string, string?> environment)
    {
        if (Problem(environment) is not null)
        {
            return [];
        }

        string text;
        try
        {
            text = EnvironmentVariable is { } variable ? environment(variable)! : File.ReadAllText(SourceFile!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        return text.Split('\n').Select(line => line.Trim()).Prepend(text.Trim()).Where(value => value.Length > 0).Distinct();
    }

    /// <summary>The source as the parameter gave it (never the value).</summary>
    public string Describe() => EnvironmentVariable is { } variable ? $"--build-secret id={Id},env={variable}" : $"--build-secret id={Id},src={SourceFile}";

    public const string Fix = "set the variable or create the file before the run, or drop the --build-secret (a RUN --mount=type=secret without required=true then sees no file).";
}
