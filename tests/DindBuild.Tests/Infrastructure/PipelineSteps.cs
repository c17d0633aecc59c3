using DindBuild.Pipeline;

namespace DindBuild.Tests.Infrastructure;

internal static class PipelineSteps
{
    /// <summary>StartDaemon, WaitForDaemon, SeedImages and BuildImage, as DindTest runs them.</summary>
    public static async Task StartAndBuildAsync(DindPipeline pipeline)
    {
        var cancel = TestContext.Current.CancellationToken;
        await pipeline.StartDaemonAsync(cancel);
        await pipeline.WaitForDaemonAsync(cancel);
        await pipeline.SeedImagesAsync(cancel);
        await pipeline.BuildImageAsync(cancel);
    }
}
