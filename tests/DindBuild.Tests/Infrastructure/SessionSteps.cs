using DindBuild.Hosting;
using DindBuild.Provisioning;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Tests.Infrastructure;

internal static class SessionSteps
{
    /// <summary>The services the build targets use minus saved sessions and CI output: the host engine is provisioned, missing images built.</summary>
    public static SessionServices Services(ILogger log) => new() { Engines = new ProvisioningEngineConnector(log), Recipes = new RootfsImageBuilder(log) };

    /// <summary>StartDaemon, WaitForDaemon, SeedImages and BuildImage, as DindTest runs them.</summary>
    public static async Task StartAndBuildAsync(DindSession pipeline)
    {
        var cancel = TestContext.Current.CancellationToken;
        await pipeline.StartDaemonAsync(cancel);
        await pipeline.WaitForDaemonAsync(cancel);
        await pipeline.SeedImagesAsync(cancel);
        await pipeline.BuildImageAsync(cancel);
    }
}
