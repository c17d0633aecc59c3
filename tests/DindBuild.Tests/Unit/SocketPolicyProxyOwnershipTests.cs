using DindBuild.SocketPolicy;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>Ownership through the proxy itself: what a refused or missing object's request gets, and what reaches the daemon.</summary>
public sealed class SocketPolicyProxyOwnershipTests : IAsyncLifetime
{
    private readonly FakeDaemon _daemon = new();
    private SocketPolicyProxy _proxy = null!;

    private string ListenPath => Path.Combine(_daemon.Directory, "private", "proxy.sock");

    public ValueTask InitializeAsync()
    {
        _proxy = SocketPolicyProxy.Start(ListenPath, _daemon.SocketPath, "proxy0session", "host:1:2", "/run/dindbuild/proxy.sock", Logger.None);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _daemon.DisposeAsync();
    }

    [Fact]
    public async Task Someone_elses_container_gets_a_403_a_missing_one_the_daemons_404_and_neither_is_forwarded()
    {
        _daemon.Objects.Add("containers", "hosts-job", ours: false);
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendJsonAsync("POST", "/v1.41/containers/hosts-job/exec", """{"Cmd":["sh"]}""");
        var refused = await client.ReadResponseAsync();
        await using var second = await RawConnection.OpenAsync(ListenPath);
        await second.SendAsync("GET /volumes/never-made HTTP/1.1\r\nHost: docker\r\n\r\n");
        var missing = await second.ReadResponseAsync();
        await second.SendAsync("GET /containers/web/archive?path=%2F HTTP/1.1\r\nHost: docker\r\n\r\n");
        var ours = await second.ReadResponseAsync();

        Assert.Equal(403, refused.Status);
        Assert.StartsWith("DindBuild socket policy: container 'hosts-job' (hosts-job) is not this session's", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("; relax with --socket-policy permissive", refused.Message, StringComparison.Ordinal);
        Assert.Equal(404, missing.Status);
        Assert.Equal("No such volumes: never-made", missing.Message);
        Assert.Equal(200, ours.Status);
        var forwarded = Assert.Single(_daemon.Requests);
        Assert.Equal("GET /containers/web/archive?path=%2F", $"{forwarded.Method} {forwarded.Target}");
        Assert.Equal(1, _proxy.Stats.RefusedCount);
        Assert.Equal(1, _proxy.Stats.RefusedByRule["ownership"]);
    }
}
