using System.Collections.Concurrent;
using CliWrap;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Runs ./build.sh as a user would, capturing every output line.</summary>
internal static class BuildScript
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(15);

    /// <summary>A session id of the test's own, so its resources can be checked by label.</summary>
    public static string NewSessionId() => "t" + Guid.NewGuid().ToString("N")[..11];

    /// <summary>Runs the script; <paramref name="interruptWhen"/> sends <paramref name="signal"/> (Ctrl+C by default) to the build once a line matches.</summary>
    public static async Task<BuildScriptResult> RunAsync(IReadOnlyList<string> arguments, Func<string, bool>? interruptWhen = null, string signal = "INT", IReadOnlyDictionary<string, string?>? environment = null)
    {
        var lines = new ConcurrentQueue<string>();
        var interrupted = 0;
        CommandTask<CommandResult>? running = null;

        void OnLine(string line)
        {
            lines.Enqueue(line);
            TestContext.Current.TestOutputHelper?.WriteLine(line);
            if (interruptWhen?.Invoke(line) == true && Interlocked.Exchange(ref interrupted, 1) == 0 && running is not null)
            {
                _ = Cli.Wrap("kill").WithArguments(["-" + signal, running.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExecuteAsync();
            }
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(Limit);
        running = Cli.Wrap(Path.Combine(RepositoryRoot.Path, "build.sh"))
            .WithArguments(arguments)
            .WithWorkingDirectory(RepositoryRoot.Path)
            .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
            .WithStandardOutputPipe(PipeTarget.ToDelegate(OnLine))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(OnLine))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(limit.Token);
        var result = await running;
        return new BuildScriptResult(result.ExitCode, [.. lines], interrupted == 1);
    }
}

internal sealed record BuildScriptResult(int ExitCode, IReadOnlyList<string> Lines, bool Interrupted)
{
    public string Output => string.Join('\n', Lines);
}
