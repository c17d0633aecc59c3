using System.Collections.Concurrent;
using CliWrap;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Runs ./build.sh as a user would, capturing every output line.</summary>
internal static class BuildScript
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(15);

    /// <summary>A session id of the test's own, so its resources can be checked by label.</summary>
    public static string NewSessionId() => "t" + Guid.NewGuid().ToString("N")[..11];

    /// <summary>
    /// Runs the script (this repository's, or <paramref name="repository"/>'s own build.sh); <paramref name="interruptWhen"/>
    /// sends <paramref name="signal"/> (Ctrl+C by default) to the build once a line matches.
    /// </summary>
    public static async Task<BuildScriptResult> RunAsync(IReadOnlyList<string> arguments, Func<string, bool>? interruptWhen = null, string signal = "INT", IReadOnlyDictionary<string, string?>? environment = null, string? repository = null)
    {
        repository ??= RepositoryRoot.Path;
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
        running = Cli.Wrap(Path.Combine(repository, "build.sh"))
            .WithArguments(arguments)
            .WithWorkingDirectory(repository)
            .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
            .WithStandardOutputPipe(PipeTarget.ToDelegate(OnLine))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(OnLine))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(limit.Token);
        var result = await running;
        return new BuildScriptResult(result.ExitCode, [.. lines], interrupted == 1);
    }
}

internal static class RunningBuild
{
    /// <summary>Starts ./build.sh and returns once a line contains <paramref name="marker"/>; the run goes on.</summary>
    public static async Task<Task<BuildScriptResult>> StartAsync(IReadOnlyList<string> arguments, string marker)
    {
        var seen = new TaskCompletionSource();
        var run = BuildScript.RunAsync(arguments, interruptWhen: line =>
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }

            return false;
        });
        await Task.WhenAny(seen.Task, run).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        Assert.True(seen.Task.IsCompleted, $"'{marker}' never appeared:\n{(run.IsCompleted ? run.Result.Output : "")}");
        return run;
    }

    /// <summary>Ctrl+C to the build that owns a container (its owner label names the process).</summary>
    public static async Task InterruptOwnerOfAsync(string container)
    {
        var owner = await DockerCli.OutputAsync(["inspect", "--format", "{{index .Config.Labels \"org.dindbuild.owner\"}}", container]);
        await CliWrap.Cli.Wrap("kill").WithArguments(["-INT", owner.Split(':')[1]]).ExecuteAsync(TestContext.Current.CancellationToken);
    }
}

internal sealed record BuildScriptResult(int ExitCode, IReadOnlyList<string> Lines, bool Interrupted)
{
    public string Output => string.Join('\n', Lines);
}
