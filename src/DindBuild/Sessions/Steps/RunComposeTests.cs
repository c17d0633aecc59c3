using System.Diagnostics;
using DindBuild.Compose;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Reporting;
using DindBuild.Testing;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    private const int ComposeTailLines = 30;

    /// <summary>
    /// RunTests with <c>--compose-file</c>. <c>up --detach</c> then a wait on the test service's container, rather than
    /// <c>up --exit-code-from</c>: that implies <c>--abort-on-container-exit</c>, so a one-shot service that ends
    /// first (a migration) would stop the stack, and a dependency that never gets healthy would not be told apart from
    /// a failed test. Here compose starts the services in depends_on order and fails <c>up</c> naming what did not get
    /// healthy; the engine's wait gives the test service's own exit code, within <c>--test-timeout</c>.
    /// </summary>
    private async Task RunComposeTestsAsync(IDockerEngine daemon, CancellationToken cancellationToken)
    {
        var (stack, _) = await ComposeModelAsync(cancellationToken).ConfigureAwait(false);
        var testService = Options.Compose.TestService;
        var clock = Stopwatch.StartNew();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Options.TestTimeout);
        (long ExitCode, List<string> Output, List<string> Errors) up;
        await using var samplers = ServiceSamplers.Start(daemon, stack.Project, _log);
        try
        {
            _log.Information("Starting the compose stack {Project} (timeout {Timeout})", stack.Project, Options.TestTimeout);
            up = await stack.UpAsync(budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            up = (-1, [], [$"docker compose up did not finish within {Options.TestTimeout}"]);
        }

        var states = await stack.PsAsync(cancellationToken).ConfigureAwait(false);
        RecordServices(states);
        if (up.ExitCode != 0)
        {
            RecordServices(states, await samplers.StopAsync().ConfigureAwait(false));
            throw await StackFailureAsync(daemon, stack, states, up.Errors.Concat(up.Output).ToList(), cancellationToken).ConfigureAwait(false);
        }

        var tests = states.FirstOrDefault(state => state.Service == testService) ?? throw new DindBuildException(
            FailureKind.TestsFailed,
            $"The compose test service '{testService}' has no container after 'docker compose up'.",
            $"containers of {stack.Project}: {string.Join(", ", states.Select(state => $"{state.Service} ({state.State})"))}",
            "check the service's profiles and 'scale'/'deploy.replicas' in the compose file.");

        var tail = new Queue<string>();
        var logs = StackLogs.Follow(daemon, states, (state, line) =>
        {
            _log.Information("{Service} │ {Line}", state.Service, line);
            if (state.Service == testService)
            {
                tail.Enqueue(line);
                if (tail.Count > ComposeTailLines)
                {
                    tail.Dequeue();
                }
            }
        }, cancellationToken);

        var timedOut = false;
        long exitCode;
        try
        {
            exitCode = await daemon.Containers.WaitAsync(tests.ContainerId, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await daemon.Containers.KillAsync(tests.ContainerId, CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
            exitCode = await daemon.Containers.WaitAsync(tests.ContainerId, CancellationToken.None).ConfigureAwait(false);
        }

        // The test service's output ends with it; the others keep running until down, so their streams are cut.
        await logs.StopAsync(tests.ContainerId, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);

        RecordServices(await stack.PsAsync(cancellationToken).ConfigureAwait(false), await samplers.StopAsync().ConfigureAwait(false));
        var result = new TestRunResult(tests.ContainerId, exitCode, timedOut, clock.Elapsed, [.. tail]);

        TestResult = result;
        ExportedArtifacts = null;
        _state = _state with { TestContainerId = result.ContainerId, TestsPassed = result.Passed, ExportedTestContainerId = null };
        if (result.Passed)
        {
            _log.Information("Tests passed in {Seconds:0.0} s (compose service {Service})", result.Duration.TotalSeconds, testService);
            return;
        }

        var failedOthers = ComposeServices.Where(state => state.Service != testService && state.Failed).ToList();
        throw new DindBuildException(
            FailureKind.TestsFailed,
            timedOut
                ? $"The compose test service '{testService}' did not finish within {Options.TestTimeout} and was killed."
                : $"The tests failed: the compose test service '{testService}' exited with code {exitCode}."
                    + (failedOthers.Count == 0 ? "" : $" Also failed: {string.Join(", ", failedOthers.Select(Describe))}."),
            $"{testService} output (last lines):\n" + string.Join('\n', result.OutputTail),
            timedOut ? "raise '--test-timeout', or find the test that hangs." : $"see the test report in {Options.HostArtifactsDirectory}.");
    }

    /// <summary>Into the session's history, which is saved: a Teardown in a later process still reports the services.</summary>
    private void RecordServices(IReadOnlyList<ComposeServiceState> states, IReadOnlyList<ServiceSamples>? samples = null) =>
        _steps.Facts = _steps.Facts with { ComposeServices = states, ServiceSamples = samples ?? _steps.Facts.ServiceSamples };

    /// <summary>
    /// <c>up</c> failed: a dependency did not get healthy, exited, or could not be created. The error names each
    /// such service with its log tail; with none to blame, compose's own output says why.
    /// </summary>
    private async Task<DindBuildException> StackFailureAsync(IDockerEngine daemon, ComposeStack stack, IReadOnlyList<ComposeServiceState> states, IReadOnlyList<string> composeOutput, CancellationToken cancellationToken)
    {
        var failed = states.Where(state => state.Failed).ToList();
        var evidence = new List<string>();
        foreach (var state in failed)
        {
            var logTail = await daemon.Containers.GetLogTailAsync(state.ContainerId, ComposeTailLines, cancellationToken).ConfigureAwait(false);
            var health = state.Health == "unhealthy" ? await stack.HealthOutputAsync(state.ContainerId, cancellationToken).ConfigureAwait(false) : "";
            evidence.Add($"{state.Service} ({Describe(state)}){(health.Length > 0 ? $", healthcheck output (last):\n{health}\n" : "")}, log (last lines):\n{logTail.TrimEnd()}");
        }

        evidence.Add("docker compose up:\n" + TextTail.LastLines(string.Join('\n', composeOutput), 15));
        return new DindBuildException(
            FailureKind.TestsFailed,
            failed.Count == 0
                ? $"The compose stack did not start: docker compose up failed before the test service '{Options.Compose.TestService}' ran."
                : $"The compose stack did not start: {string.Join(", ", failed.Select(state => $"service '{state.Service}' {(state.Health == "unhealthy" ? "never became healthy" : $"exited with code {state.ExitCode}")}"))}.",
            string.Join("\n\n", evidence),
            failed.Count == 0
                ? "see compose's output above; an image that is missing must be seeded ('--seed-image') or built ('build:')."
                : "see the service's log: its healthcheck (interval, retries, start_period) or its command.");
    }

    private static string Describe(ComposeServiceState state) =>
        $"{state.Service}: {state.State}{(state.State is "exited" or "dead" ? $" ({state.ExitCode})" : "")}{(state.Health.Length > 0 ? $", {state.Health}" : "")}";
}
