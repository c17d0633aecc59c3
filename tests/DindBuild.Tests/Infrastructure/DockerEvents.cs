using System.Globalization;
using CliWrap;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// <c>docker events</c> streamed while a test acts, as an independent witness of what happened to a container that is
/// gone by the time the test looks. Replaying them afterwards with <c>--since … --until …</c> is not enough: the
/// daemon keeps only its last 256 events for a replay, and the test suites running in parallel make more than that
/// in a few seconds. Started with <c>--since</c> a second before, so that nothing between this call and the
/// subscription is missed.
/// </summary>
internal sealed class DockerEvents : IAsyncDisposable
{
    private readonly List<string> _lines = [];
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly Task _watching;

    private DockerEvents(IReadOnlyList<string> filters, string format)
    {
        var since = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1).ToString(CultureInfo.InvariantCulture);
        _watching = Cli.Wrap("docker")
            .WithArguments(["events", "--since", since, .. filters.SelectMany(filter => new[] { "--filter", filter }), "--format", format])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(Add))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(_stop.Token);
    }

    /// <summary>Starts watching the events that match every filter (<c>docker events --filter</c>), each printed with <paramref name="format"/>.</summary>
    public static DockerEvents Watch(IReadOnlyList<string> filters, string format) => new(filters, format);

    /// <summary>The lines so far, in the order the daemon sent them.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for a line (the CLI prints an event a moment after the daemon sent it); the lines then.</summary>
    public async Task<IReadOnlyList<string>> WaitForAsync(Func<string, bool> line, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Lines.Any(line) && DateTime.UtcNow < deadline && !_watching.IsCompleted)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return Lines;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _watching;
        }
        catch (OperationCanceledException)
        {
            // Stopping the stream is how it ends.
        }

        _stop.Dispose();
    }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
        }
    }
}
