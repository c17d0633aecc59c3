using DindBuild.Docker;
using Serilog;

namespace DindBuild.Reporting;

/// <summary>
/// <c>docker stats CONTAINER</c> in the background for the run report's chart. Sampling never fails
/// a build: when the stream breaks (the container stops), the samples taken so far are kept.
/// </summary>
public sealed class ResourceSampler : IAsyncDisposable
{
    private readonly List<ResourceSample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    private ResourceSampler(IDockerEngine engine, string containerId, ILogger log)
    {
        ContainerId = containerId;
        _sampling = Task.Run(async () =>
        {
            try
            {
                await engine.Containers.StreamStatsAsync(containerId, Add, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                log.Debug("Resource sampling of {Container} ended: {Reason}", containerId, ex.GetBaseException().Message);
            }
            catch (Exception)
            {
                // Stopped on purpose.
            }
        });
    }

    public string ContainerId { get; }

    public IReadOnlyList<ResourceSample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    public static ResourceSampler Start(IDockerEngine engine, string containerId, ILogger log) => new(engine, containerId, log);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Add(ResourceSample sample)
    {
        lock (_samples)
        {
            _samples.Add(sample);
        }
    }
}
