using System.Diagnostics;

namespace DindBuild.Diagnostics;

/// <summary>One running activity's progress; disposing it ends the line (or the periodic log lines).</summary>
internal sealed class ProgressActivity : IDisposable
{
    private static readonly string[] Spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

    private readonly ProgressReporter _reporter;
    private readonly string _activity;
    private readonly Func<long>? _bytesSoFar;
    private readonly long? _totalBytes;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private (int Number, int Count, string Text)? _step;
    private int _ticks;
    private bool _disposed;

    internal ProgressActivity(ProgressReporter reporter, string activity, Func<long>? bytesSoFar, long? totalBytes)
    {
        _reporter = reporter;
        _activity = activity;
        _bytesSoFar = bytesSoFar;
        _totalBytes = totalBytes;
        _timer = new Timer(_ => Report(), null, reporter.Interval, reporter.Interval);
    }

    /// <summary>For step-wise work, a Dockerfile's <c>Step 3/7 : RUN …</c>.</summary>
    public void SetStep(int number, int count, string text)
    {
        lock (_gate)
        {
            _step = (number, count, text);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer.Dispose();
            // The summary line that follows is logged; the animated one must not stay above it.
            _reporter.Terminal?.Clear();
        }
    }

    private void Report()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var status = ProgressReporter.Describe(_activity, _clock.Elapsed, _bytesSoFar?.Invoke(), _totalBytes, _step);
            if (_reporter.Terminal is { } terminal)
            {
                terminal.Draw($"{Spinner[_ticks++ % Spinner.Length]} {status}");
            }
            else
            {
                _reporter.Log.Information("… {Progress:l}", status);
            }
        }
    }
}
