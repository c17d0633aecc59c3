using DindBuild.Diagnostics;
using DindBuild.Docker;

namespace DindBuild.ImageBuild;

/// <summary>What one builder's progress stream means: the lines to log, the image it made, and, when it failed, the error a person can act on.</summary>
internal interface IBuildOutput
{
    /// <summary>The daemon's error message, once one came.</summary>
    string? Error { get; }

    void Observe(ProgressMessage message);

    /// <summary>The end of the stream: what is left of unfinished lines is logged.</summary>
    void Complete();

    /// <summary>The failure, naming the failing instruction and its Dockerfile line where the output tells them.</summary>
    DindBuildException Failure(string error, Exception? transportFailure);
}

/// <summary>The Dockerfile as a person finds it: relative to the repository root where it lies inside it, with its text for line lookups.</summary>
internal sealed record DockerfileSource(string Path, string DisplayPath, string Text, string RelativeToContext, string ContextDirectory)
{
    public static DockerfileSource Load(string contextDirectory, string dockerfile, string? displayRoot)
    {
        var path = System.IO.Path.Combine(contextDirectory, dockerfile);
        var display = path;
        if (displayRoot is not null)
        {
            var relative = System.IO.Path.GetRelativePath(displayRoot, path);
            display = relative.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(relative) ? path : relative;
        }

        return new DockerfileSource(path, display, File.ReadAllText(path), dockerfile, contextDirectory);
    }

    /// <summary>The instruction starting at a line, continuations joined (<c>RUN echo a &amp;&amp; echo b</c>), for evidence.</summary>
    public string? InstructionAt(int line) =>
        DockerfileInstructions.Read(Text).Instructions.Where(instruction => instruction.LineNumber == line)
            .Select(instruction => $"{instruction.Keyword} {instruction.Arguments}".Trim())
            .FirstOrDefault();

    /// <summary>The one error shape of a failed build: at FILE:LINE (the step): the daemon's error; evidence; how to reproduce it.</summary>
    public DindBuildException BuildFailed(string? step, int? line, string error, string evidence, Exception? inner, string? fix = null)
    {
        var where = (line, step) switch
        {
            ({ } number, { } name) => $" at {DisplayPath}:{number} ('{name}')",
            ({ } number, null) => $" at {DisplayPath}:{number}",
            (null, { } name) => $" at '{name}'",
            _ => "",
        };
        var source = line is { } at && InstructionAt(at) is { } instruction ? $"{DisplayPath}:{at}: {instruction}\n" : "";
        return new DindBuildException(
            FailureKind.BuildFailed,
            $"The image build failed{where}: {error}",
            source + evidence,
            fix ?? $"fix the failing step in {RelativeToContext}; 'docker build -f {RelativeToContext} {ContextDirectory}' reproduces it outside DindBuild.",
            inner)
        {
            Location = line is { } number2 ? new SourceLocation(Path, number2) : null,
        };
    }
}
