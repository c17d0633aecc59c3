using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>The lifecycle against a real host engine, checked through the docker CLI.</summary>
[Collection(EngineCollection.Isolated)]
public sealed class DindSessionTests(EngineFixture engine)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lifecycle_builds_and_tests_the_sample_inside_its_own_daemon_and_leaves_nothing_behind()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var settings = new DindSettings(RepositoryRoot.Path).WithHostArtifactsDirectory(artifacts.Path);
        settings = settings.WithImageTag($"dindbuild-test-{settings.SessionId}:latest");
        string innerId;
        await using (var pipeline = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
        {
            await pipeline.StartDaemonAsync(Cancel);
            await pipeline.WaitForDaemonAsync(Cancel);

            // The DinD container runs on the host engine with our label, and its daemon answers the docker CLI.
            var labelled = await DockerCli.OutputAsync(["ps", "--filter", $"label=org.dindbuild.session={settings.SessionId}", "--format", "{{.Names}} {{.State}}"]);
            Assert.Equal($"dindbuild-{settings.SessionId} running", labelled);
            var inner = DockerCli.EnvironmentFor(pipeline.State.Daemon!.Endpoint);
            var innerVersion = await DockerCli.OutputAsync(["version", "--format", "{{.Server.Version}}"], environment: inner);
            var hostVersion = await DockerCli.OutputAsync(["version", "--format", "{{.Server.Version}}"]);
            Assert.StartsWith("26.", innerVersion, StringComparison.Ordinal);
            innerId = await DockerCli.OutputAsync(["info", "--format", "{{.ID}}"], environment: inner);
            Assert.NotEqual(hostVersion, innerVersion);

            // Whoever reaches the socket is root in the daemon: only its owner may enter the directory.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(pipeline.State.Daemon.SocketDirectory));

            await pipeline.SeedImagesAsync(Cancel);
            var seeded = await DockerCli.OutputAsync(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"], environment: inner);
            Assert.Contains("dindbuild/python:trixie", seeded.Split('\n'));

            await pipeline.BuildImageAsync(Cancel);
            var built = await DockerCli.OutputAsync(["image", "inspect", "--format", "{{.Id}}", settings.ImageTag], environment: inner);
            Assert.Equal(pipeline.State.BuiltImageId, built);

            // The image lives only in the session's daemon, never on the host.
            var onHost = await DockerCli.RunAsync(["image", "inspect", settings.ImageTag]);
            Assert.NotEqual(0, onHost.ExitCode);

            await pipeline.RunTestsAsync(Cancel);
            await pipeline.ExportArtifactsAsync(Cancel);
        }

        var report = JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml"));
        Assert.Equal(10, report.Tests);
        Assert.Equal(0, report.Failures);
        Assert.Equal(innerId, ModeTests.SeenDaemonId(artifacts.Path));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(settings.SessionId));
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), $"dindbuild-{settings.SessionId}")), "the socket directory was not removed");
    }

    [Fact]
    public async Task Failing_tests_fail_the_step_and_still_export_their_report()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var settings = new DindSettings(RepositoryRoot.Path).WithHostArtifactsDirectory(artifacts.Path).WithTestEnvironment("SAMPLE_FAIL=1");
        await using (var pipeline = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
        {
            await SessionSteps.StartAndBuildAsync(pipeline);

            var failure = await Assert.ThrowsAsync<DindBuildException>(() => pipeline.RunTestsAsync(Cancel));
            Assert.Equal(FailureKind.TestsFailed, failure.Kind);
            Assert.Contains("exited with code 1", failure.Message, StringComparison.Ordinal);
            Assert.Contains("test_add", failure.Message, StringComparison.Ordinal);

            await pipeline.ExportArtifactsAsync(Cancel);
        }

        var report = JUnitReport.Load(Path.Combine(artifacts.Path, "junit.xml"));
        Assert.Equal(1, report.Failures);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(settings.SessionId));
    }

    [Fact]
    public async Task A_failing_Dockerfile_step_is_named_in_the_error_and_teardown_still_cleans_up()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nRUN echo preparing\nRUN echo 'about to fail' && exit 3\nRUN echo never\n", Cancel);
        var settings = new DindSettings(RepositoryRoot.Path).WithContextDirectory(context.Path);
        await using (var pipeline = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
        {
            await pipeline.StartDaemonAsync(Cancel);
            await pipeline.WaitForDaemonAsync(Cancel);
            await pipeline.SeedImagesAsync(Cancel);

            var failure = await Assert.ThrowsAsync<DindBuildException>(() => pipeline.BuildImageAsync(Cancel));
            Assert.Equal(FailureKind.BuildFailed, failure.Kind);
            Assert.Contains($"failed at {context.Combine("Dockerfile")}:3 ('[3/4] RUN echo 'about to fail' && exit 3')", failure.Message, StringComparison.Ordinal);
            Assert.Contains("did not complete successfully: exit code: 3", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("never", failure.Evidence, StringComparison.Ordinal);
            Assert.Contains("about to fail", failure.Evidence, StringComparison.Ordinal);
            Assert.Equal(new SourceLocation(context.Combine("Dockerfile"), 3), failure.Location);
        }

        Assert.Empty(await DockerCli.LabelledResourcesAsync(settings.SessionId));
    }

    [Fact]
    public async Task Tests_that_outlive_their_timeout_are_killed_and_reported_as_timed_out()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var settings = new DindSettings(RepositoryRoot.Path)
            .WithHostArtifactsDirectory(artifacts.Path)
            .WithTestCommand("echo started; sleep 300")
            .WithTestTimeout(TimeSpan.FromSeconds(3));
        await using var pipeline = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        await SessionSteps.StartAndBuildAsync(pipeline);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => pipeline.RunTestsAsync(Cancel));
        Assert.Equal(FailureKind.TestsFailed, failure.Kind);
        Assert.True(pipeline.TestResult!.TimedOut);
        Assert.Contains("started", failure.Evidence, StringComparison.Ordinal);
        Assert.True(pipeline.TestResult.Duration < TimeSpan.FromSeconds(120), "the container was not killed at the timeout");
    }

    [Fact]
    public async Task The_capabilities_profile_runs_without_privileged_mode()
    {
        engine.RequireEngine();
        var settings = new DindSettings(RepositoryRoot.Path).WithPrivilegeProfile(PrivilegeProfile.Capabilities);
        await using var pipeline = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        await pipeline.StartDaemonAsync(Cancel);
        await pipeline.WaitForDaemonAsync(Cancel);

        var privileged = await DockerCli.OutputAsync(["inspect", "--format", "{{.HostConfig.Privileged}} {{json .HostConfig.SecurityOpt}} {{json .HostConfig.CapDrop}}", pipeline.State.Daemon!.ContainerId]);
        Assert.StartsWith("false ", privileged, StringComparison.Ordinal);
        Assert.Contains("seccomp=unconfined", privileged, StringComparison.Ordinal);
        Assert.Contains("[\"ALL\"]", privileged, StringComparison.Ordinal);

        // The container's effective set is exactly the minimum: no SYS_MODULE, and SYS_PTRACE only where the inner
        // user namespace is on (runc needs it to open a remapped child's namespaces).
        var status = await DockerCli.OutputAsync(["exec", pipeline.State.Daemon.ContainerId, "grep", "CapEff", "/proc/1/status"]);
        var effective = ulong.Parse(status.Split(':')[1].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        IReadOnlyList<string> expected = pipeline.State.Daemon.InnerUserns ? [.. LinuxCapabilities.DindMinimum, .. LinuxCapabilities.InnerUsernsExtra] : LinuxCapabilities.DindMinimum;
        Assert.Equal(expected.Order(), LinuxCapabilities.FromMask(effective).Order());

        // The inner daemon can really run a container (cgroups writable, mounts allowed).
        await pipeline.SeedImagesAsync(Cancel);
        var run = await DockerCli.RunAsync(["run", "--rm", "dindbuild/python:trixie", "python3", "-c", "print('inner ok')"], environment: DockerCli.EnvironmentFor(pipeline.State.Daemon.Endpoint));
        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("inner ok", run.StandardOutput, StringComparison.Ordinal);
    }
}
