using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Modes;

/// <summary>
/// A connection error in the middle of a step is, most often, the DinD container gone (killed, out
/// of memory). Then the error says so, with its state and log, instead of a socket exception. Only
/// a session started in this process is worth a retry: a new run starts a new daemon, while a
/// continued session (<paramref name="continued"/>) has no other daemon than the dead one.
/// </summary>
internal sealed class DaemonDeath(IDockerEngine host, DindDaemon daemon, bool continued, ILogger log)
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

            var broke = $"{failure.GetType().Name}: {failure.GetBaseException().Message}";
            if (status is null)
            {
                // Removed, not crashed: a reaper in another checkout, or a hand.
                return continued
                    ? SessionGone.Error(daemon.ContainerName["dindbuild-".Length..], step, $"its DinD container {daemon.ContainerName} was removed", broke, failure)
                    : new DindBuildException(
                        FailureKind.Infrastructure,
                        $"The DinD daemon stopped during {step}: its container {daemon.ContainerName} was removed.",
                        broke,
                        "look for who removed it (docker events; a 'Reap --reap-older-than' elsewhere); a new run starts a new daemon.",
                        failure);
            }

            var logs = await new DindDaemonStarter(host, log).DaemonLogTailAsync(daemon.ContainerId, timeout.Token).ConfigureAwait(false);
            return new DindBuildException(
                FailureKind.Infrastructure,
                $"The DinD daemon stopped during {step}: its container {daemon.ContainerName} is {status.Status} (exit code {status.ExitCode}{(status.OomKilled ? ", killed for lack of memory" : "")}).",
                $"{broke}\ndaemon log (last lines):\n{logs}",
                continued
                    ? "look for who stopped the container (docker events, the host's OOM killer); this session has no other daemon, so retrying the step cannot pass: tear it down ('./build.sh Teardown') and start a new one."
                    : "look for who stopped the container (docker events, the host's OOM killer); a retry usually passes, as a new run starts a new daemon.",
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
