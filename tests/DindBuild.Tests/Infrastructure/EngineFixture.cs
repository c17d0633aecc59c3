using DindBuild.Sessions;
using DindBuild.Settings;
using Serilog;

[assembly: Xunit.AssemblyFixture(typeof(DindBuild.Tests.Infrastructure.EngineFixture))]

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// Provisions the host engine and the offline images once for all integration tests (an assembly fixture:
/// both engine collections share it). Where no
/// engine can be had the tests skip — except in CI (CI=true), where they fail: CI must prove them.
/// </summary>
public sealed class EngineFixture : IAsyncLifetime
{
    private string? _unavailable;

    public static ILogger Log { get; } = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new TestOutputSink()).CreateLogger();

    public async ValueTask InitializeAsync()
    {
        try
        {
            await using var pipeline = DindSession.Create(new DindSettings(RepositoryRoot.Path), Log, SessionSteps.Services(Log));
            await pipeline.PrepareImagesAsync(TestContext.Current.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _unavailable = ex.Message;
        }
    }

    public void RequireEngine()
    {
        if (_unavailable is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("CI=true and no Docker engine could be provisioned: " + _unavailable);
        }

        Assert.Skip("No Docker engine could be provisioned: " + _unavailable);
    }

    public ValueTask DisposeAsync()
    {
        TestArtifacts.RemoveAll();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The integration tests run in two lanes, one test at a time in each, the lanes side by side: most of a DinD run
/// waits (daemon start, image load, a container's exit), so two lanes on two cores finish well before one.
/// A test belongs in <see cref="Isolated"/> only when nothing it does can meet another test's run: it never runs
/// Reap, never kills a build (a dead owner's session or cache lock would be reaped by the other lane's Reap), never
/// relies on "the only saved session", and names its own artifacts directory or lets <see cref="BuildScript"/> give
/// it one. One that keeps a session for later steps holds <see cref="CheckoutSessions"/> while it is saved (the
/// other lane's unnamed Teardown would take it). Everything else stays in <see cref="Name"/>. A self-contained class may still go in <see cref="Name"/> to
/// even the lanes out (TrustedCaTests, SocketPolicyTests: in one CI run the lanes took 2060 s and 2700 s of tests).
/// </summary>
[CollectionDefinition(Name)]
public sealed class EngineCollection
{
    /// <summary>Reaping, killed builds, cache-volume locks, saved sessions shared between steps.</summary>
    public const string Name = "engine";

    /// <summary>Self-contained sessions (see the class remarks for what may go here).</summary>
    public const string Isolated = "engine-isolated";
}

[CollectionDefinition(EngineCollection.Isolated)]
public sealed class IsolatedEngineCollection;
