using DindBuild.Diagnostics;
using DindBuild.SocketPolicy;
using DindBuild.Testing;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// RunTests: the tests in a container from the built image, with a volume at the artifacts path
    /// and, where the mode gives one, a Docker socket: the socket policy proxy's (strict), or the
    /// session daemon's own (<c>--socket-policy permissive</c>). Failed tests are exported at once, as
    /// the next step (their reports are what is needed), then the failure is thrown. Runs again in a kept session.
    /// With <c>--compose-file</c>, the stack instead (see <c>RunComposeTests.cs</c>).
    /// </summary>
    public async Task RunTestsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await StepAsync("RunTests", () => RunTestContainerAsync(cancellationToken)).ConfigureAwait(false);
        }
        catch (DindBuildException ex) when (ex.Kind == FailureKind.TestsFailed && TestResult is { Passed: false })
        {
            // Its own step, after RunTests ended: a CI group of its own, and RunTests stays the first failure.
            try
            {
                await ExportArtifactsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exportFailure) when (exportFailure is not OperationCanceledException)
            {
                // The tests' failure is the run's: an export that fails too must not hide it (nor make it look retryable).
                _log.Warning("The failed tests' artifacts could not be exported: {Reason}", exportFailure.Message);
            }

            LogPublishSkipped();
            throw;
        }
    }

    private async Task RunTestContainerAsync(CancellationToken cancellationToken)
    {
        RequireOpen("RunTests");
        TestResult = null;
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        if (Options.Compose.Enabled)
        {
            await RunComposeTestsAsync(daemon, cancellationToken).ConfigureAwait(false);
            return;
        }

        var image = _state.BuiltImageId ?? throw new DindBuildException(
            FailureKind.BadParameters,
            $"RunTests needs the image built by BuildImage in session {Id}, and none was built.",
            null,
            "run BuildImage first (or './build.sh RunTests' without '--exclusive').");
        var socket = _mode.TestSocket(Id);
        var request = new TestRunRequest(Id, image, Options.TestCommand, Options.TestEnvironment, SessionNames.ArtifactsVolume(Id), Options.ContainerArtifactsPath, Options.TestTimeout)
        {
            DaemonSocketSource = socket.Source,
            DaemonSocketRequired = socket.Required,
            WithoutSocket = socket.WithoutSocket,
            Owner = _services.Owner,
            ExtraCa = Options.ExtraCaCertificates,
        };
        if (socket.Warning is { } warning)
        {
            _log.Warning("{Warning}", warning);
        }

        TestRunResult result;

        // For as long as the tests run, and no longer: what they left running loses its socket, and teardown removes it.
        await using (var proxy = socket.Policy is { } policy
            ? SocketPolicyProxy.Start(policy.ListenPath, policy.DaemonSocketPath, Id, _services.Owner, socket.Source!, _log)
            : null)
        {
            result = await new TestRunner(daemon, _log).RunAsync(request, cancellationToken).ConfigureAwait(false);
        }

        TestResult = result;
        ExportedArtifacts = null;
        _state = _state with { TestContainerId = result.ContainerId, TestsPassed = result.Passed, ExportedTestContainerId = null };
        if (result.Passed)
        {
            _log.Information("Tests passed in {Seconds:0.0} s", result.Duration.TotalSeconds);
            return;
        }

        throw new DindBuildException(
            FailureKind.TestsFailed,
            result.TimedOut
                ? $"The tests did not finish within {Options.TestTimeout} and were killed."
                : $"The tests failed: the test container exited with code {result.ExitCode}.",
            "test output (last lines):\n" + string.Join('\n', result.OutputTail),
            result.TimedOut
                ? "raise '--test-timeout', or find the test that hangs."
                : $"see the test report in {Options.HostArtifactsDirectory}.");
    }
}
