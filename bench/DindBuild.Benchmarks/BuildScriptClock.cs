using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using CliWrap.EventStream;

namespace DindBuild.Benchmarks;

/// <summary>Times runs of a process: <c>./build.sh</c> of the checkout, or any command, whole or until a line appears.</summary>
internal static class BuildScriptClock
{
    public sealed record Run(double Seconds, string Output);

    /// <summary>Runs <c>./build.sh ARGUMENTS</c> to its end; a failed run throws with its output.</summary>
    public static async Task<Run> RunAsync(string repositoryRoot, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        await RunAsync(Script(repositoryRoot, arguments), cancellationToken).ConfigureAwait(false);

    /// <summary>Runs the command to its end; a failed run throws with its output.</summary>
    public static async Task<Run> RunAsync(Command command, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var result = await command.WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} failed with exit code {result.ExitCode}:\n{result.StandardOutput}{result.StandardError}");
        }

        return new(seconds, result.StandardOutput + result.StandardError);
    }

    /// <summary>The seconds from <c>./build.sh ARGUMENTS</c>'s start until a line of its output holds <paramref name="marker"/>.</summary>
    public static Task<double> UntilLineAsync(string repositoryRoot, IReadOnlyList<string> arguments, string marker, CancellationToken cancellationToken) =>
        UntilLineAsync(Script(repositoryRoot, arguments), marker, cancellationToken);

    /// <summary>The seconds from the command's start until a line of its standard output holds <paramref name="marker"/>.</summary>
    public static async Task<double> UntilLineAsync(Command command, string marker, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        double? seen = null;
        await foreach (var @event in command.WithValidation(CommandResultValidation.None).ListenAsync(cancellationToken).ConfigureAwait(false))
        {
            if (seen is null && @event is StandardOutputCommandEvent output && output.Text.Contains(marker, StringComparison.Ordinal))
            {
                seen = clock.Elapsed.TotalSeconds;
            }
        }

        return seen ?? throw new InvalidOperationException($"'{marker}' never appeared in the output of {command}");
    }

    public static Command Script(string repositoryRoot, IReadOnlyList<string> arguments) =>
        Cli.Wrap(Path.Combine(repositoryRoot, "build.sh")).WithArguments(arguments).WithWorkingDirectory(repositoryRoot);
}
