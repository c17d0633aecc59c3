using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Ctrl+C while the engine creates a container: the engine finishes the create after the client
/// stopped listening, and teardown must still find and remove it.
/// </summary>
public sealed class CancelledCreateTests : IDisposable
{
    private static readonly TimeSpan EngineDelay = TimeSpan.FromMilliseconds(300);

    private readonly FakeSessionHost _host = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_cancel_while_the_DinD_container_is_created_leaves_nothing_after_teardown()
    {
        _host.Environment["DOCKER_HOST"] = FakeSessionHost.HostSocket;
        var engine = _host.Engines.Add(FakeSessionHost.HostSocket);
        engine.AddImage(DindSettings.DefaultDindImage);
        await using var session = _host.Create(DockerMode.Dind);

        await CancelDuringCreateAsync(engine, token => session.StartDaemonAsync(token));
        await session.TeardownAsync();

        await engine.EngineSideCreateDone.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Empty(engine.ResourcesOf(_host.SessionId));
        Assert.False(Directory.Exists(_host.PrivateDirectory));
    }

    [Fact]
    public async Task A_cancel_while_the_test_container_is_created_leaves_nothing_after_teardown()
    {
        var engine = _host.Engines.Add(FakeSessionHost.HostSocket);
        await using var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket));

        await CancelDuringCreateAsync(engine, token => session.RunTestsAsync(token));
        await session.TeardownAsync();

        await engine.EngineSideCreateDone.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Empty(engine.ResourcesOf(_host.SessionId));
    }

    /// <summary>Runs the step, cancels it once its container create reached the engine, which answers <see cref="EngineDelay"/> later.</summary>
    private static async Task CancelDuringCreateAsync(FakeEngine engine, Func<CancellationToken, Task> step)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.CreateGate = gate;
        using var signal = new CancellationTokenSource();
        var running = step(signal.Token);

        await engine.CreateArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        await signal.CancelAsync();
        _ = Task.Delay(EngineDelay, Cancel).ContinueWith(_ => gate.TrySetResult(), TaskScheduler.Default);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }
}
