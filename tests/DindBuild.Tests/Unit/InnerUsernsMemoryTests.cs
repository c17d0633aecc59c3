using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// What the user-namespace probe found, remembered per engine for --inner-userns auto (issue 17: 0.5 s a run, and a
/// whole replaced DinD container where the host cannot give one): used only for the same engine, version, kernel,
/// DinD image and profile within a day, and never for 'on'.
/// </summary>
public sealed class InnerUsernsMemoryTests : IDisposable
{
    private const string DindImage = "docker:dind";

    private static readonly InnerUsernsChoice Auto = new(true, false, null);

    private readonly TempDirectory _state = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _state.Dispose();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private InnerUsernsMemory Memory => new(_state.Path, _clock, Serilog.Core.Logger.None);

    [Fact]
    public async Task A_probe_that_worked_is_not_run_again_and_the_daemon_is_kept_unwaited()
    {
        using var first = World(InnerUsernsTests.ReachedCommand);
        await ProbeOnceAsync(first);
        Assert.Equal(1, first.Inner.Count("container.create"));

        using var second = World();
        var start = await StartAsync(second);
        var choice = await start.PlanAsync(Auto, Cancel);
        var (daemon, client) = await second.ConfirmAsync(choice, start);

        Assert.True(choice.Try);
        Assert.Same(second.Daemon, daemon);
        Assert.Null(client);
        Assert.Empty(second.Inner.Calls);
        Assert.Contains("the probe found so on 2026-12-03 09:00 UTC", second.Log.Text, StringComparison.Ordinal);
        Assert.Contains("asked again after 2026-12-04 09:00 UTC", second.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_probe_that_failed_starts_the_next_run_without_a_user_namespace_and_without_a_replaced_container()
    {
        using var first = World(InnerUsernsTests.NoFinalChild);
        await ProbeOnceAsync(first);
        Assert.Equal(1, first.Host.Count("container.create"));

        using var second = World();
        var choice = await (await StartAsync(second)).PlanAsync(Auto, Cancel);

        Assert.False(choice.Try);
        Assert.False(choice.Required);
        Assert.Contains("can't get final child's PID from pipe", choice.OffReason, StringComparison.Ordinal);
        Assert.Contains("remembered from 2026-12-03 09:00 UTC", choice.OffReason, StringComparison.Ordinal);
        Assert.Contains(second.Log.Text.Split('\n'), line => line.StartsWith("Inner containers cannot run in a user namespace on this host", StringComparison.Ordinal) && line.Contains("asked again after 2026-12-04 09:00 UTC", StringComparison.Ordinal));
        Assert.Empty(second.Inner.Calls);
    }

    public static TheoryData<string> Changes => ["engine", "version", "kernel", "image", "profile", "a day later", "clock set back"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task The_probe_runs_again_when_what_answered_it_changed_or_a_day_passed(string change)
    {
        using var first = World(InnerUsernsTests.ReachedCommand);
        await ProbeOnceAsync(first);

        using var second = World(InnerUsernsTests.ReachedCommand);
        var requested = PrivilegeProfile.Auto;
        switch (change)
        {
            case "engine": second.Host.DaemonId = "ANOTHER"; break;
            case "version": second.Host.ServerVersion = "29.0.0"; break;
            case "kernel": second.Host.KernelVersion = "6.12.0-new"; break;
            case "image": second.Host.AddImageWithId(DindImage, "sha256:" + new string('b', 64)); break;
            case "profile": requested = PrivilegeProfile.Capabilities; break;
            case "a day later": _clock.Advance(InnerUsernsMemory.Lifetime); break;
            case "clock set back": _clock.Advance(TimeSpan.FromMinutes(-1)); break;
        }

        var start = await StartAsync(second, requested);
        var (_, client) = await second.ConfirmAsync(await start.PlanAsync(Auto, Cancel), start);

        Assert.Same(second.Inner, client);
        Assert.Equal(1, second.Inner.Count("container.create"));
    }

    [Fact]
    public async Task Answers_for_two_profiles_on_one_engine_are_both_kept()
    {
        foreach (var requested in new[] { PrivilegeProfile.Auto, PrivilegeProfile.Capabilities })
        {
            using var first = World(InnerUsernsTests.ReachedCommand);
            await ProbeOnceAsync(first, requested);
            Assert.Equal(1, first.Inner.Count("container.create"));
        }

        foreach (var requested in new[] { PrivilegeProfile.Auto, PrivilegeProfile.Capabilities })
        {
            using var again = World();
            var start = await StartAsync(again, requested);
            await again.ConfirmAsync(await start.PlanAsync(Auto, Cancel), start);
            Assert.Empty(again.Inner.Calls);
        }
    }

    [Fact]
    public async Task A_daemon_that_came_up_with_another_profile_than_the_one_that_passed_is_probed()
    {
        using var first = World(InnerUsernsTests.ReachedCommand);
        await ProbeOnceAsync(first);

        using var second = World(InnerUsernsTests.ReachedCommand);
        var start = await StartAsync(second);
        await second.ConfirmAsync(await start.PlanAsync(Auto, Cancel), start, second.Daemon with { Profile = PrivilegeProfile.Privileged });

        Assert.Equal(1, second.Inner.Count("container.create"));
    }

    [Fact]
    public async Task On_always_probes_and_never_writes_the_memory()
    {
        using var first = World(InnerUsernsTests.ReachedCommand);
        await ProbeOnceAsync(first);

        using var second = World(InnerUsernsTests.NoFinalChild);
        var on = new InnerUsernsChoice(true, true, null);
        var start = await StartAsync(second);
        Assert.Equal(on, await start.PlanAsync(on, Cancel));
        await Assert.ThrowsAsync<Diagnostics.DindBuildException>(() => second.ConfirmAsync(on, start));

        // The failure under 'on' was not remembered: auto still trusts the earlier answer.
        using var third = World();
        var thirdStart = await StartAsync(third);
        var (_, client) = await third.ConfirmAsync(await thirdStart.PlanAsync(Auto, Cancel), thirdStart);
        Assert.Null(client);
        Assert.Empty(third.Inner.Calls);
    }

    [Fact]
    public async Task A_remembered_reason_is_escaped_like_the_runtimes_own_words()
    {
        using var first = World("runc create failed: \u001b[2J\n::error::forged");
        await ProbeOnceAsync(first);

        using var second = World();
        var choice = await (await StartAsync(second)).PlanAsync(Auto, Cancel);

        Assert.DoesNotContain('\u001b', choice.OffReason!);
        Assert.DoesNotContain('\n', choice.OffReason!);
        Assert.DoesNotContain("\n::error::", second.Log.Text, StringComparison.Ordinal);
    }

    /// <summary>A DinD container started for a user namespace; <paramref name="probeStart"/>: what the runtime says when the probe container starts.</summary>
    private static InnerUsernsTests.Starting World(string? probeStart = null)
    {
        var world = new InnerUsernsTests.Starting();
        world.Host.AddImageWithId(DindImage, "sha256:" + new string('a', 64));
        if (probeStart is not null)
        {
            world.Inner.Failures["container.start"] = () => new DockerOperationException("docker start", probeStart);
        }

        return world;
    }

    private async Task<InnerUsernsStart> StartAsync(InnerUsernsTests.Starting world, PrivilegeProfile requested = PrivilegeProfile.Auto) =>
        world.Start(Memory, await InnerUsernsMemory.KeyAsync(world.Host, DindImage, requested, Cancel));

    private async Task ProbeOnceAsync(InnerUsernsTests.Starting world, PrivilegeProfile requested = PrivilegeProfile.Auto)
    {
        var start = await StartAsync(world, requested);
        await world.ConfirmAsync(await start.PlanAsync(Auto, Cancel), start);
    }
}
