using System.Globalization;
using DindBuild.Sessions;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

public sealed class SessionReaperTests
{
    private static readonly string DeadOwner = $"{Environment.MachineName}:{int.MaxValue - 7}:12345";

    private static FakeDockerEngine Engine(params (string Session, string Owner, DateTimeOffset Created)[] sessions)
    {
        var engine = new FakeDockerEngine();
        foreach (var (session, owner, created) in sessions)
        {
            var container = $"c-{session}-aaaaaaaaaaaa";
            var volume = $"v-{session}";
            engine.ContainerList.Add((container, session));
            engine.VolumeList.Add((volume, session));
            foreach (var id in new[] { container, volume })
            {
                engine.ExtraLabels[id] = new()
                {
                    [SessionLabels.Owner] = owner,
                    [SessionLabels.Created] = created.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                };
            }
        }

        return engine;
    }

    [Fact]
    public async Task Sessions_whose_owner_process_is_gone_are_reaped_live_ones_are_not()
    {
        var now = DateTimeOffset.UtcNow;
        var engine = Engine(("dead", DeadOwner, now), ("live", ProcessOwner.Current, now), ("kept", ProcessOwner.Kept, now), ("elsewhere", "other-host:1:1", now));

        var reaped = await new SessionReaper(engine, Logger.None).ReapAsync(olderThan: null, TestContext.Current.CancellationToken);

        Assert.Equal(["dead"], reaped);
        Assert.DoesNotContain(engine.ContainerList, c => c.Session == "dead");
        Assert.Equal(["live", "kept", "elsewhere"], engine.ContainerList.Select(c => c.Session));
    }

    [Fact]
    public async Task An_age_limit_also_retires_old_sessions_that_cannot_be_checked_but_never_young_live_ones()
    {
        var old = DateTimeOffset.UtcNow.AddHours(-5);
        var engine = Engine(("kept-old", ProcessOwner.Kept, old), ("kept-new", ProcessOwner.Kept, DateTimeOffset.UtcNow), ("live-new", ProcessOwner.Current, DateTimeOffset.UtcNow));

        var reaped = await new SessionReaper(engine, Logger.None).ReapAsync(TimeSpan.FromHours(2), TestContext.Current.CancellationToken);

        Assert.Equal(["kept-old"], reaped);
    }

    [Fact]
    public async Task A_session_with_any_live_resource_is_left_whole()
    {
        var engine = Engine(("mixed", DeadOwner, DateTimeOffset.UtcNow));
        engine.ExtraLabels[$"v-mixed"][SessionLabels.Owner] = ProcessOwner.Current;

        var reaped = await new SessionReaper(engine, Logger.None).ReapAsync(null, TestContext.Current.CancellationToken);

        Assert.Empty(reaped);
        Assert.Single(engine.ContainerList);
    }

    [Fact]
    public void This_process_is_alive_and_a_reused_pid_with_another_start_time_is_not()
    {
        Assert.True(ProcessOwner.IsAlive(ProcessOwner.Current));
        var parts = ProcessOwner.Current.Split(':');
        Assert.False(ProcessOwner.IsAlive($"{parts[0]}:{parts[1]}:{parts[2]}9"));
        Assert.False(ProcessOwner.IsAlive(DeadOwner));
        Assert.True(ProcessOwner.IsAlive(ProcessOwner.Kept));
    }
}
