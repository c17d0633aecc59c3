using DindBuild.Artifacts;
using DindBuild.Testing;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// ExportArtifacts: <c>docker cp</c> of the test container's artifacts path to the host directory,
    /// once per test run (a later step after a failed RunTests does not export again). The test
    /// reports are read from the files this export wrote, never from what earlier runs left there;
    /// with none, passed tests are not green unless reports are optional.
    /// </summary>
    public Task ExportArtifactsAsync(CancellationToken cancellationToken) => StepAsync("ExportArtifacts", async () =>
    {
        RequireOpen("ExportArtifacts");
        if (_state.TestContainerId is not { } testContainer)
        {
            _log.Warning("No test container ran in session {Session}: nothing to export", Id);
            return;
        }

        if (_state.ExportedTestContainerId == testContainer)
        {
            _log.Information("The artifacts of this session's test run were exported already (after the failed tests): not again");
            return;
        }

        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        ExportedArtifacts = await new ArtifactExporter(daemon, _log)
            .ExportAsync(testContainer, Options.ContainerArtifactsPath, Options.HostArtifactsDirectory, Options.ArtifactsMaxBytes, Options.ArtifactsMaxEntries, cancellationToken)
            .ConfigureAwait(false);
        _state = _state with { ExportedTestContainerId = testContainer };

        var tests = TestReportSummary.FromFiles(Options.HostArtifactsDirectory, ExportedArtifacts?.Files ?? []);
        _steps.Facts = _steps.Facts with { Tests = tests };
        if (tests is not null)
        {
            _services.Listener.TestsReported(tests);
            return;
        }

        if (_state.TestsPassed == true && Options.TestReportRequired)
        {
            throw MissingTestReport.Error(Options, Options.ContainerArtifactsPath);
        }

        _log.Warning("The artifacts hold no JUnit or TRX test report");
    });
}
