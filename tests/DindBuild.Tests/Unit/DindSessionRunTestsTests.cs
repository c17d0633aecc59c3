using DindBuild.Diagnostics;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>RunTests run again in one session, and the artifacts of a failed run exported once, in this process or a later one.</summary>
public sealed class DindSessionRunTestsTests : IDisposable
{
    private static readonly string[] ResourceCalls = ["container.remove", "volume.remove", "volume.create", "container.create"];

    private readonly FakeSessionHost _host = new();
    private readonly FakeEngine _engine;

    public DindSessionRunTestsTests() => _engine = _host.Engines.Add(FakeSessionHost.HostSocket);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private string TestContainer => SessionNames.TestContainer(_host.SessionId);

    private string ArtifactsVolume => SessionNames.ArtifactsVolume(_host.SessionId);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task Running_the_tests_again_removes_the_previous_container_and_artifacts_volume_before_creating_new_ones()
    {
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));

        await session.RunTestsAsync(Cancel);
        var first = session.State.TestContainerId;
        await session.RunTestsAsync(Cancel);

        string[] oneRun = [$"container.remove {TestContainer}", $"volume.remove {ArtifactsVolume}", $"volume.create {ArtifactsVolume}", $"container.create {TestContainer}"];
        Assert.Equal(
            [.. oneRun, .. oneRun],
            _engine.Calls.Where(call => ResourceCalls.Contains(call.Operation)).Select(call => $"{call.Operation} {call.Target}"));
        var container = Assert.Single(_engine.ContainerList);
        Assert.Equal(session.State.TestContainerId, container.Id);
        Assert.NotEqual(first, container.Id);
        Assert.Equal([ArtifactsVolume], _engine.VolumeNames);
        Assert.True(session.State.TestsPassed);
        Assert.Equal(0, _engine.Count("container.archive"));
    }

    [Fact]
    public async Task The_test_container_and_artifacts_volume_carry_the_session_labels()
    {
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));

        await session.RunTestsAsync(Cancel);

        var container = Assert.Single(_engine.ContainerList);
        Assert.Equal(_host.SessionId, container.Labels[SessionLabels.Session]);
        Assert.Equal("tests", container.Labels[SessionLabels.Role]);
        Assert.Equal(TestContainer, container.Name);
        Assert.Equal([TestContainer, ArtifactsVolume], _engine.ResourcesOf(_host.SessionId));
    }

    [Fact]
    public async Task Failed_tests_export_the_artifacts_once_and_a_later_export_in_the_same_session_does_not_fetch_them_again()
    {
        _engine.TestExitCode = 3;
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.RunTestsAsync(Cancel));
        await session.ExportArtifactsAsync(Cancel);

        Assert.Equal(FailureKind.TestsFailed, failure.Kind);
        Assert.Contains("exited with code 3", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Equal(1, _engine.Count("container.archive"));
        Assert.Equal("ok", await File.ReadAllTextAsync(Path.Combine(_host.ArtifactsDirectory, "report.txt"), Cancel));
        Assert.Equal(session.State.TestContainerId, session.State.ExportedTestContainerId);
        // The export after the failed tests is a step of its own (a CI group); the later call only says it was done.
        Assert.Equal(["start RunTests", "finish RunTests TestsFailed", "start ExportArtifacts", "finish ExportArtifacts ok", "start ExportArtifacts", "finish ExportArtifacts ok"], _host.Listener.Events.Where(e => !e.StartsWith("state", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Failed_tests_stay_the_failure_when_their_export_fails_too()
    {
        _engine.TestExitCode = 1;
        _engine.Failures["container.archive"] = () => new IOException("the archive stream broke");
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.RunTestsAsync(Cancel));

        Assert.Equal(FailureKind.TestsFailed, failure.Kind);
        Assert.Equal("RunTests", session.History().FailedStep);
        Assert.Contains("exited with code 1", session.History().Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_later_process_continuing_after_failed_tests_does_not_export_them_again()
    {
        _engine.TestExitCode = 1;
        var first = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));
        await Assert.ThrowsAsync<DindBuildException>(() => first.RunTestsAsync(Cancel));
        await first.KeepAsync(Cancel);
        await first.DisposeAsync();
        var saved = _host.Listener.States[^1];
        Assert.NotNull(saved.ExportedTestContainerId);
        Assert.Equal(saved.TestContainerId, saved.ExportedTestContainerId);

        await using var later = _host.Continue(saved);
        await later.ExportArtifactsAsync(Cancel);

        Assert.Equal(1, _engine.Count("container.archive"));
        Assert.Null(later.ExportedArtifacts);
    }

    [Fact]
    public async Task A_new_test_run_after_an_exported_failure_is_exported_again()
    {
        _engine.TestExitCode = 1;
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));
        await Assert.ThrowsAsync<DindBuildException>(() => session.RunTestsAsync(Cancel));

        _engine.TestExitCode = 0;
        await session.RunTestsAsync(Cancel);
        Assert.Null(session.State.ExportedTestContainerId);
        await session.ExportArtifactsAsync(Cancel);

        Assert.Equal(2, _engine.Count("container.archive"));
        Assert.Equal(session.State.TestContainerId, session.State.ExportedTestContainerId);
        Assert.Equal(1, session.ExportedArtifacts?.FilesWritten);
    }
}
