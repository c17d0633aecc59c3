using DindBuild.Docker;
using Serilog;

namespace DindBuild.Reporting;

/// <summary>
/// <c>docker stats</c> of every container of a compose stack, one stream each, from the start of <c>up</c> until the
/// test service ends. The containers are found by compose's own labels while <c>up</c> runs: by the time <c>up</c>
/// returns (after the healthchecks), a quick test service has often finished and the dependencies have run for
/// seconds. The DinD container's own chart sums the whole daemon; this one tells which service used it.
/// </summary>
internal sealed class ServiceSamplers : IAsyncDisposable
{
    public const string ProjectLabel = "com.docker.compose.project";
    public const string ServiceLabel = "com.docker.compose.service";
    public const string NumberLabel = "com.docker.compose.container-number";

    private readonly IDockerEngine _engine;
    private readonly string _project;
    private readonly ILogger _log;
    private readonly List<(string Service, int Number, ResourceSampler Sampler)> _samplers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _discovery;
    private IReadOnlyList<ServiceSamples>? _stopped;

    private ServiceSamplers(IDockerEngine engine, string project, TimeSpan interval, ILogger log)
    {
        _engine = engine;
        _project = project;
        _log = log;
        _discovery = Task.Run(() => DiscoverAsync(interval, _stop.Token));
    }

    /// <summary>Looks for the project's containers every <paramref name="interval"/> and samples each new one.</summary>
    public static ServiceSamplers Start(IDockerEngine engine, string project, ILogger log, TimeSpan? interval = null) =>
        new(engine, project, interval ?? TimeSpan.FromMilliseconds(500), log);

    /// <summary>
    /// Looks once more (a container created since the last look is still sampled while it runs), stops every stream
    /// and returns what each took, in service order; a replica is <c>SERVICE-N</c>. Containers that streamed nothing
    /// (ended within a second) are left out.
    /// </summary>
    public async Task<IReadOnlyList<ServiceSamples>> StopAsync()
    {
        if (_stopped is null)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _discovery.ConfigureAwait(false);
            await Task.WhenAll(_samplers.Select(entry => entry.Sampler.DisposeAsync().AsTask())).ConfigureAwait(false);
            _stopped = [.. _samplers
                .OrderBy(entry => entry.Service, StringComparer.Ordinal).ThenBy(entry => entry.Number)
                .Select(entry => new ServiceSamples(entry.Number <= 1 ? entry.Service : $"{entry.Service}-{entry.Number}", entry.Sampler.Samples))
                .Where(entry => entry.Samples.Count > 0)];
            _stop.Dispose();
        }

        return _stopped;
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task DiscoverAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            try
            {
                foreach (var container in await _engine.Containers.ListWithLabelAsync(ProjectLabel, cancellationToken).ConfigureAwait(false))
                {
                    if (container.Labels.GetValueOrDefault(ProjectLabel) == _project && known.Add(container.Id))
                    {
                        var service = container.Labels.GetValueOrDefault(ServiceLabel) is { Length: > 0 } name ? name : container.Id[..Math.Min(12, container.Id.Length)];
                        var number = int.TryParse(container.Labels.GetValueOrDefault(NumberLabel), out var n) ? n : 1;
                        _samplers.Add((service, number, ResourceSampler.Start(_engine, container.Id, _log)));
                    }
                }

                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                // Sampling never fails a run: the chart has what was found before the daemon stopped answering.
                _log.Debug("Looking for the containers of {Project} to sample failed: {Reason}", _project, ex.GetBaseException().Message);
                return;
            }
        }
    }
}
