using DindBuild.Sessions;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// Provisions the host engine and the offline images once for all integration tests. Where no
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

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    // The machine has two cores: DinD sessions in these tests run one at a time.
    public const string Name = "engine";
}
