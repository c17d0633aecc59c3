using System.Globalization;
using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>The cache volume's lock is a container on the engine: atomic to take, visible to every run against it, reclaimed when its owner is gone.</summary>
public sealed class CacheVolumeLockTests
{
    private const string Cache = "cache1";
    private const string Image = "dind:fake";

    private static readonly string DeadOwner = $"{Environment.MachineName}:{int.MaxValue - 7}:12345";

    private readonly FakeEngine _engine = new(new DockerEndpoint(new Uri("unix:///fake/host.sock")));

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> LockLabels(string owner, DateTimeOffset created) => new()
    {
        [CacheVolumeLock.Label] = Cache,
        [SessionLabels.Owner] = owner,
        [SessionLabels.Created] = created.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task The_lock_is_a_container_owned_by_this_process_and_no_session_and_goes_on_release()
    {
        var (held, holder) = await CacheVolumeLock.TryAcquireAsync(_engine, Cache, Image, Logger.None, Cancel);

        Assert.NotNull(held);
        Assert.Null(holder);
        var container = Assert.Single(_engine.ContainerList);
        Assert.Equal("dindbuild-cache-lock-cache1", container.Name);
        Assert.Equal(Cache, container.Labels[CacheVolumeLock.Label]);
        Assert.Equal(ProcessOwner.Current, container.Labels[SessionLabels.Owner]);
        Assert.False(container.Labels.ContainsKey(SessionLabels.Session));
        Assert.False(container.Running);

        await held.DisposeAsync();
        Assert.Empty(_engine.ContainerList);
    }

    [Fact]
    public async Task A_second_run_does_not_get_the_lock_while_a_live_owner_holds_it_and_is_told_who()
    {
        var (first, _) = await CacheVolumeLock.TryAcquireAsync(_engine, Cache, Image, Logger.None, Cancel);

        var (second, holder) = await CacheVolumeLock.TryAcquireAsync(_engine, Cache, Image, Logger.None, Cancel);

        Assert.Null(second);
        Assert.Contains(ProcessOwner.Current, holder, StringComparison.Ordinal);
        Assert.Contains("dindbuild-cache-lock-cache1", holder, StringComparison.Ordinal);
        await first!.DisposeAsync();
    }

    [Theory]
    [InlineData("dead owner here", 0, true)]
    [InlineData("other host, young", 0, false)]
    [InlineData("other host, old", 10, true)]
    [InlineData("live owner here, old", 10, false)]
    public async Task A_lock_left_by_a_run_that_is_gone_is_reclaimed_a_live_ones_is_not(string situation, int minutesOld, bool reclaimed)
    {
        var owner = situation switch
        {
            "dead owner here" => DeadOwner,
            "live owner here, old" => ProcessOwner.Current,
            _ => "other-host:1:1",
        };
        var stale = _engine.AddContainer(CacheVolumeLock.ContainerName(Cache), LockLabels(owner, DateTimeOffset.UtcNow.AddMinutes(-minutesOld)));

        var (held, _) = await CacheVolumeLock.TryAcquireAsync(_engine, Cache, Image, Logger.None, Cancel);

        Assert.Equal(reclaimed, held is not null);
        Assert.Equal(!reclaimed, _engine.ContainerList.Contains(stale));
        if (held is not null)
        {
            await held.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_reaper_removes_locks_of_dead_owners_and_leaves_live_ones()
    {
        var dead = _engine.AddContainer("dindbuild-cache-lock-a", LockLabels(DeadOwner, DateTimeOffset.UtcNow));
        var live = _engine.AddContainer("dindbuild-cache-lock-b", LockLabels(ProcessOwner.Current, DateTimeOffset.UtcNow));

        var reaped = await CacheVolumeLock.ReapAsync(_engine, olderThan: null, Logger.None, Cancel);

        Assert.Equal(1, reaped);
        Assert.DoesNotContain(dead, _engine.ContainerList);
        Assert.Contains(live, _engine.ContainerList);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task While_another_run_holds_the_lock_a_start_waits_then_fails_or_runs_ephemeral(bool fallBack)
    {
        _engine.AddContainer(CacheVolumeLock.ContainerName(Cache), LockLabels(ProcessOwner.Current, DateTimeOffset.UtcNow));
        var options = new DindOptions(Tls: false, [], "sysbox-runc") { CacheVolume = Cache, CacheWait = TimeSpan.FromMilliseconds(700), CacheFallbackToEphemeral = fallBack };
        var dataRoots = new List<string>();
        Task<DindDaemon> StartOn(string dataRoot)
        {
            dataRoots.Add(dataRoot);
            return Task.FromResult(new DindDaemon("id", "dindbuild-x", Image, PrivilegeProfile.Privileged, dataRoot, "/tmp/x", "net"));
        }

        var start = new CacheVolumeStart(_engine, Logger.None).StartAsync(Cache, Image, options, StartOn, () => Task.FromResult("ephemeral"), Cancel);

        if (fallBack)
        {
            await start;
            Assert.Equal(["ephemeral"], dataRoots);
        }
        else
        {
            var failure = await Assert.ThrowsAsync<DindBuildException>(() => start);
            Assert.Equal(FailureKind.Infrastructure, failure.Kind);
            Assert.Contains("another run is starting a daemon on it", failure.Evidence, StringComparison.Ordinal);
            Assert.Empty(dataRoots);
        }
    }

    [Fact]
    public async Task A_free_cache_is_started_on_under_the_lock_and_the_lock_is_gone_afterwards()
    {
        var options = new DindOptions(Tls: false, [], "sysbox-runc") { CacheVolume = Cache };
        var locksDuringStart = new List<string>();
        Task<DindDaemon> StartOn(string dataRoot)
        {
            locksDuringStart.AddRange(_engine.ContainerList.Select(c => c.Name));
            return Task.FromResult(new DindDaemon("id", "dindbuild-x", Image, PrivilegeProfile.Privileged, dataRoot, "/tmp/x", "net"));
        }

        var daemon = await new CacheVolumeStart(_engine, Logger.None).StartAsync(Cache, Image, options, StartOn, () => Task.FromResult("ephemeral"), Cancel);

        Assert.Equal(Cache, daemon.DataVolume);
        Assert.Equal(["dindbuild-cache-lock-cache1"], locksDuringStart);
        Assert.Empty(_engine.ContainerList);
        Assert.Contains(Cache, _engine.VolumeNames);
    }
}
