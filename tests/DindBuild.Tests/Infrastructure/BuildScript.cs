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
        environment = WithOwnArtifactsDirectory(arguments, environment, repository);
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
            .WithEnvironmentVariables(environment)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(OnLine))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(OnLine))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(limit.Token);
        var result = await running;
        return new BuildScriptResult(result.ExitCode, [.. lines], interrupted == 1);
    }

    /// <summary>In this checkout, a run that names no artifacts directory gets its test's own (see <see cref="TestArtifacts"/>).</summary>
    private static IReadOnlyDictionary<string, string?> WithOwnArtifactsDirectory(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment, string repository)
    {
        const string variable = "DINDBUILD_ARTIFACTS_DIR";
        var named = arguments.Any(argument => argument == "--artifacts-dir" || argument.StartsWith("--artifacts-dir=", StringComparison.Ordinal));
        if (named || repository != RepositoryRoot.Path || environment?.ContainsKey(variable) == true)
        {
            return environment ?? new Dictionary<string, string?>();
        }

        return new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { [variable] = TestArtifacts.ForCurrentTest() };
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

    /// <summary>
    /// Ctrl+C to the build that owns <paramref name="container"/>, then its result: exit code 130 within a few minutes,
    /// else a failure with its output (a lost signal would otherwise sit out the test command's sleep unseen).
    /// </summary>
    public static async Task<BuildScriptResult> InterruptAsync(Task<BuildScriptResult> run, string container)
    {
        await InterruptOwnerOfAsync(container);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken));
        Assert.True(finished == run, $"the build owning {container} was still running 3 minutes after Ctrl+C");
        var result = await run;
        Assert.True(result.ExitCode == 130, $"the interrupted build exited {result.ExitCode}, not 130:\n{result.Output}");
        return result;
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
