using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Dind;

/// <summary>What <c>--inner-userns</c> asks of a start: whether to try, whether a failure is fatal, and why not when not.</summary>
internal sealed record InnerUsernsChoice(bool Try, bool Required, string? OffReason)
{
    public static InnerUsernsChoice For(DindSettings options)
    {
        var ownRemap = DindContainerSpecs.NamesUsernsRemap(options.DaemonArguments);
        return options.InnerUserns switch
        {
            InnerUserns.Off when ownRemap => throw new DindBuildException(
                FailureKind.BadParameters,
                "'--inner-userns off' contradicts '--daemon-arg=--userns-remap…'.",
                $"daemon arguments: {string.Join(' ', options.DaemonArguments)}",
                "drop one of them: '--inner-userns on' (or auto) is DindBuild's own '--userns-remap=default'."),
            InnerUserns.Off => new(false, false, "--inner-userns off"),

            // A remap the user named is theirs to keep: it is tried and, like 'on', never dropped.
            _ when ownRemap => new(true, true, null),
            InnerUserns.On => new(true, true, null),
            _ when options.SocketPolicy == TestSocketPolicy.Permissive => new(false, false, "auto with --socket-policy permissive, whose privileged containers a user namespace refuses"),
            _ => new(true, false, null),
        };
    }
}

/// <summary>
/// Confirms, with <see cref="InnerUsernsProbe"/>, that a daemon started for an inner user namespace
/// can run containers in one. When it cannot, <c>auto</c> replaces the DinD container with one without
/// (as the privilege profile falls back, logged with the runtime's reason) and <c>on</c> fails the start.
/// With a <see cref="InnerUsernsMemory"/> (auto only), what the probe found on this engine before is used instead:
/// a daemon like the one that passed is kept unprobed, and a host where it failed gets no user namespace at once.
/// </summary>
internal sealed class InnerUsernsStart(DindDaemonStarter starter, ILogger log, InnerUsernsMemory? memory = null, InnerUsernsMemory.Key? key = null)
{
    private InnerUsernsMemory.Answer? _known;

    /// <summary>The choice to start the DinD container with: off at once where auto's probe failed on this engine before.</summary>
    public async Task<InnerUsernsChoice> PlanAsync(InnerUsernsChoice choice, CancellationToken cancellationToken)
    {
        if (memory is null || key is null || !choice.Try || choice.Required)
        {
            return choice;
        }

        _known = await memory.ReadAsync(key, cancellationToken).ConfigureAwait(false);
        if (_known is not { Failure: { } failure })
        {
            return choice;
        }

        // The file sits in the repository's state directory: its text is escaped like the runtime's own words.
        var reason = SafeText.Escape(failure);
        log.Warning(
            "Inner containers cannot run in a user namespace on this host ({Reason}; the probe found so on {When:yyyy-MM-dd HH:mm} UTC, and this engine and DinD image are asked again after {Until:yyyy-MM-dd HH:mm} UTC); starting the DinD daemon without one (--inner-userns auto)",
            reason,
            _known.When,
            _known.Until);
        return choice with { Try = false, OffReason = $"auto: the probe container failed (remembered from {_known.When:yyyy-MM-dd HH:mm} UTC): {reason}" };
    }

    /// <summary>The daemon to keep, and its client when this waited for it (null after a replacement, or a remembered answer, which have not been waited for).</summary>
    public async Task<(DindDaemon Daemon, IDockerEngine? Client)> ConfirmAsync(DindDaemon daemon, InnerUsernsChoice choice, DindOptions options, Func<DindDaemon, Task<IDockerEngine>> waitUntilReady, CancellationToken cancellationToken)
    {
        if (!choice.Required && _known is { Failure: null } known && known.Profile == daemon.Profile)
        {
            log.Information(
                "Inner containers run in a user namespace: root in a test's container is an unprivileged uid on the host (profile '{Profile}'; the probe found so on {When:yyyy-MM-dd HH:mm} UTC, and this engine and DinD image are asked again after {Until:yyyy-MM-dd HH:mm} UTC)",
                daemon.Profile.ToString().ToLowerInvariant(),
                known.When,
                known.Until);
            return (daemon, null);
        }

        var client = await waitUntilReady(daemon).ConfigureAwait(false);
        var failure = await InnerUsernsProbe.FailureAsync(client, cancellationToken).ConfigureAwait(false);
        if (!choice.Required && memory is not null && key is not null)
        {
            await memory.RememberAsync(key, daemon.Profile, failure, cancellationToken).ConfigureAwait(false);
        }

        if (failure is null)
        {
            log.Information("Inner containers run in a user namespace: root in a test's container is an unprivileged uid on the host (profile '{Profile}')", daemon.Profile.ToString().ToLowerInvariant());
            return (daemon, client);
        }

        client.Dispose();
        var reason = SafeText.Escape(failure);
        if (choice.Required)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"The DinD daemon cannot run containers in a user namespace on this host (profile '{daemon.Profile.ToString().ToLowerInvariant()}'), and '--inner-userns on' (or a '--daemon-arg=--userns-remap') requires it.",
                $"probe container ({InnerUsernsProbe.Image}, docker run … {InnerUsernsProbe.MissingCommand}) in {daemon.ContainerName}: {reason}",
                "use '--inner-userns auto' to run without it where the host cannot give it, or a privilege profile that can ('--privilege privileged' or 'sysbox' where the host allows them); see README, 'Which protection is active where'.");
        }

        log.Warning("Inner containers cannot run in a user namespace on this host ({Reason}); restarting the DinD daemon without one (--inner-userns auto)", reason);
        var replaced = await starter.ReplaceAsync(daemon, options with { InnerUserns = false }, cancellationToken).ConfigureAwait(false);
        return (replaced with { InnerUsernsOffReason = $"auto: the probe container failed: {reason}" }, null);
    }
}
