using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.Modes;

/// <summary>
/// A connection error in the middle of a step is, most often, the DinD container gone (killed, out
/// of memory). Then the error says so, with its state and log, instead of a socket exception.
/// </summary>
internal sealed class DaemonDeath(IDockerEngine host, DindDaemon daemon, ILogger log)
{
    public async Task<DindBuildException?> ExplainAsync(string step, Exception failure)
    {
        // A failed build or test run may be the daemon's death in disguise (the stream just ended).
        if (failure is OperationCanceledException or DindBuildException { Kind: FailureKind.Infrastructure or FailureKind.BadParameters })
        {
            return null;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            // The connection breaks the moment dockerd dies; the engine marks the container exited a little later.
            var status = await host.Containers.InspectAsync(daemon.ContainerId, timeout.Token).ConfigureAwait(false);
            var connectionBroke = Chain(failure).Any(inner => inner is IOException or HttpRequestException or System.Net.Sockets.SocketException);
            for (var poll = 0; connectionBroke && status is { Running: true } && poll < 30; poll++)
            {
                await Task.Delay(100, timeout.Token).ConfigureAwait(false);
                status = await host.Containers.InspectAsync(daemon.ContainerId, timeout.Token).ConfigureAwait(false);
            }

            if (status is { Running: true })
            {
                return null;
            }

            var logs = status is null ? "(the container is gone)" : await new DindDaemonStarter(host, log).DaemonLogTailAsync(daemon.ContainerId, timeout.Token).ConfigureAwait(false);
            return new DindBuildException(
                FailureKind.Infrastructure,
                $"The DinD daemon stopped during {step}: its container {daemon.ContainerName} is {status?.Status ?? "gone"}{(status is null ? "" : $" (exit code {status.ExitCode}{(status.OomKilled ? ", killed for lack of memory" : "")})")}.",
                $"{failure.GetType().Name}: {failure.GetBaseException().Message}\ndaemon log (last lines):\n{logs}",
                "look for who stopped the container (docker events, the host's OOM killer); a retry usually passes.",
                failure);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }
}
