using System.Diagnostics;

namespace DindBuild.Benchmarks;

/// <summary>The highest working set of this process while it lives, sampled every 20 ms.</summary>
internal sealed class PeakMemorySampler : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peak;

    public PeakMemorySampler() => _sampling = Task.Run(SampleAsync);

    public double PeakMegabytes => Interlocked.Read(ref _peak) / 1048576.0;

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _sampling.Wait();
        }
        catch (AggregateException)
        {
            // Cancelled, as intended.
        }

        _stop.Dispose();
    }

    private async Task SampleAsync()
    {
        using var process = Process.GetCurrentProcess();
        while (!_stop.IsCancellationRequested)
        {
            process.Refresh();
            var current = process.WorkingSet64;
            if (current > Interlocked.Read(ref _peak))
            {
                Interlocked.Exchange(ref _peak, current);
            }

            await Task.Delay(20, _stop.Token).ConfigureAwait(false);
        }
    }
}
