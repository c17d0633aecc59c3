using DindBuild.Docker;

namespace DindBuild.Compose;

/// <summary>
/// Every service's output, as <c>SERVICE │ line</c> in the build log: followed live while the tests run, and, once
/// the test service has ended, completed from <c>docker logs</c>. The completion is what makes the log whole: a
/// follow request answered late (a loaded daemon) would otherwise be cut before it delivered the lines its service
/// had written, and the dependencies' output is what a failed test is read against.
/// </summary>
internal sealed class StackLogs
{
    private readonly IDockerEngine _daemon;
    private readonly Action<ComposeServiceState, string> _onLine;
    private readonly Dictionary<string, int> _delivered = new(StringComparer.Ordinal);
    private readonly List<(ComposeServiceState State, Task Follower)> _followers;
    private readonly CancellationTokenSource _stop;

    private StackLogs(IDockerEngine daemon, IReadOnlyList<ComposeServiceState> states, Action<ComposeServiceState, string> onLine, CancellationToken cancellationToken)
    {
        _daemon = daemon;
        _onLine = onLine;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _followers = [.. states.Where(state => state.ContainerId.Length > 0).Select(state => (state, daemon.Containers.FollowLogsAsync(state.ContainerId, line => Deliver(state, line), _stop.Token)))];
    }

    /// <summary>Starts following each container of the stack; <paramref name="onLine"/> is called with one line at a time.</summary>
    public static StackLogs Follow(IDockerEngine daemon, IReadOnlyList<ComposeServiceState> states, Action<ComposeServiceState, string> onLine, CancellationToken cancellationToken) =>
        new(daemon, states, onLine, cancellationToken);

    /// <summary>
    /// The test service ended: waits up to <paramref name="grace"/> for its stream to end by itself, stops following
    /// the others (they run until <c>down</c>), then delivers from <c>docker logs</c> each line no stream delivered.
    /// </summary>
    public async Task StopAsync(string testContainerId, TimeSpan grace, CancellationToken cancellationToken)
    {
        var tests = _followers.Where(entry => entry.State.ContainerId == testContainerId).Select(entry => entry.Follower).FirstOrDefault() ?? Task.CompletedTask;
        await Task.WhenAny(tests, Task.Delay(grace, cancellationToken)).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_followers.Select(entry => entry.Follower.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        _stop.Dispose();
        foreach (var (state, _) in _followers)
        {
            int delivered;
            lock (_delivered)
            {
                delivered = _delivered.GetValueOrDefault(state.ContainerId);
            }

            var seen = 0;
            try
            {
                await _daemon.Containers.ReadLogsAsync(state.ContainerId, line =>
                {
                    if (++seen > delivered)
                    {
                        Deliver(state, line);
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A container already removed has no more to say; the log is what it is.
            }
        }
    }

    private void Deliver(ComposeServiceState state, string line)
    {
        lock (_delivered)
        {
            _delivered[state.ContainerId] = _delivered.GetValueOrDefault(state.ContainerId) + 1;
            _onLine(state, line);
        }
    }
}
