using System.Text.Json;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>A daemon on the cache volume: BuildKit's garbage collection is configured, and it ends cleanly, leaving no session's objects in the volume.</summary>
public sealed class CacheVolumeDaemonTests
{
    private const string Session = "s1";

    private readonly FakeEngine _host = new(new DockerEndpoint(new Uri("unix:///fake/host.sock")));

    private readonly FakeEngine _inner = new(new DockerEndpoint(new Uri("unix:///fake/inner.sock")));

    [Fact]
    public void The_cache_volume_daemon_gets_a_config_file_that_turns_BuildKit_garbage_collection_on_at_the_given_size()
    {
        using var directory = new TempDirectory();

        var flags = BuilderGcConfig.Apply(directory.Path, 5L << 30, ["--mtu=1400"], Logger.None);

        Assert.Equal([$"--config-file={DindDaemon.SocketDirectoryInContainer}/daemon.json", "--mtu=1400"], flags);
        using var json = JsonDocument.Parse(File.ReadAllText(directory.Combine("daemon.json")));
        var gc = json.RootElement.GetProperty("builder").GetProperty("gc");
        Assert.True(gc.GetProperty("enabled").GetBoolean());
        Assert.Equal("5368709120", gc.GetProperty("defaultKeepStorage").GetString());
    }

    [Fact]
    public void A_config_file_of_the_users_own_is_left_to_decide()
    {
        using var directory = new TempDirectory();

        var flags = BuilderGcConfig.Apply(directory.Path, 5L << 30, ["--config-file=/etc/docker/mine.json"], Logger.None);

        Assert.Equal(["--config-file=/etc/docker/mine.json"], flags);
        Assert.False(File.Exists(directory.Combine("daemon.json")));
    }

    [Fact]
    public void The_default_and_the_parameter_give_the_size()
    {
        Assert.Equal(20L << 30, new DindSettings("/repo").CacheMaxBytes);
        var settings = DindParameters.Read("/repo", name => name == "cache-max-size" ? ["3GiB"] : [], _ => null);
        Assert.Equal(3L << 30, settings.CacheMaxBytes);
    }

    [Fact]
    public async Task Stopping_removes_the_sessions_objects_inside_then_stops_dockerd_gracefully_before_any_forced_remove()
    {
        var dind = _host.AddContainer("dindbuild-s1", Session);
        _inner.AddContainer("tests", Session, running: false);
        _inner.AddContainer("someone-elses", "s2", running: false);
        _inner.AddVolume("dindbuild-s1-artifacts", Session);
        var daemon = new DindDaemon(dind.Id, dind.Name, "dind:fake", PrivilegeProfile.Capabilities, "cache1", "/tmp/dindbuild-s1", "net");

        Assert.True(CacheVolumeStop.IsOnCacheVolume(daemon, Session));
        await new CacheVolumeStop(_host, _ => _inner, Logger.None).StopAsync(Session, daemon);

        Assert.Empty(_inner.ResourcesOf(Session));
        Assert.NotEmpty(_inner.ResourcesOf("s2"));
        Assert.Equal(["container.stop"], _host.Calls.Select(call => call.Operation));
        Assert.False(dind.Running);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Only_a_daemon_on_the_cache_volume_is_started_with_the_config_file(bool onCache)
    {
        var commands = new List<IReadOnlyList<string>>();
        _host.OnCreate = spec =>
        {
            commands.Add(spec.Command ?? []);
            return null;
        };
        var session = "u" + Guid.NewGuid().ToString("N")[..11];
        var options = new DindOptions(Tls: false, [], "sysbox-runc") { CacheVolume = onCache ? "cache1" : null, CacheMaxBytes = 1L << 30 };
        try
        {
            await new DindDaemonStarter(_host, Logger.None).StartAsync(session, "dind:fake", PrivilegeProfile.Capabilities, options, TestContext.Current.CancellationToken);

            var dind = Assert.Single(commands, command => command.Contains("--tls=false"));
            Assert.Equal(onCache, dind.Contains($"--config-file={DindDaemon.SocketDirectoryInContainer}/daemon.json"));
            Assert.Equal(onCache, File.Exists(Path.Combine(DindBuild.Sessions.SessionNames.PrivateDirectory(session), "daemon.json")));
        }
        finally
        {
            if (Directory.Exists(DindBuild.Sessions.SessionNames.PrivateDirectory(session)))
            {
                Directory.Delete(DindBuild.Sessions.SessionNames.PrivateDirectory(session), recursive: true);
            }
        }
    }

    [Fact]
    public void Only_a_cache_volume_counts_not_the_sessions_own_volume_nor_a_tmpfs()
    {
        var onVolume = new DindDaemon("id", "dindbuild-s1", "dind:fake", PrivilegeProfile.Capabilities, "dindbuild-s1-data", "/tmp/d", "net");

        Assert.False(CacheVolumeStop.IsOnCacheVolume(onVolume, Session));
        Assert.False(CacheVolumeStop.IsOnCacheVolume(onVolume with { DataVolume = DindContainerSpecs.InMemoryDataRoot }, Session));
        Assert.False(CacheVolumeStop.IsOnCacheVolume(onVolume with { ContainerId = "", DataVolume = "cache1" }, Session));
    }
}
