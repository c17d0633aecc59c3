using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DindBuild.Sessions;
using DindBuild.SocketPolicy;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>
/// The policy proxy between a raw client and a fake daemon (each with its own HTTP parsing): what
/// reaches the daemon, what the client gets back, and that nothing can be smuggled past inspection.
/// </summary>
public sealed class SocketPolicyProxyTests : IAsyncLifetime
{
    private const string Session = "proxy0session";
    private const string PolicySocketInDaemon = "/run/dindbuild/proxy.sock";

    private readonly FakeDaemon _daemon = new();
    private SocketPolicyProxy _proxy = null!;

    private string ListenPath => Path.Combine(_daemon.Directory, "private", "proxy.sock");

    public ValueTask InitializeAsync()
    {
        _proxy = SocketPolicyProxy.Start(ListenPath, _daemon.SocketPath, Session, "host:1:2", PolicySocketInDaemon, Logger.None);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _daemon.DisposeAsync();
    }

    [Fact]
    public async Task A_refused_create_gets_a_403_with_a_Docker_style_message_and_never_reaches_the_daemon()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendJsonAsync("POST", "/v1.45/containers/create", """{"Image":"x","HostConfig":{"Privileged":true}}""");
        var refused = await client.ReadResponseAsync();

        Assert.Equal(403, refused.Status);
        Assert.Equal("application/json", refused.Headers["Content-Type"]);
        Assert.Equal("DindBuild socket policy: HostConfig.Privileged: privileged containers are not allowed; relax with --socket-policy permissive", refused.Message);
        Assert.Empty(_daemon.Requests);

        // The body was read whole, so the connection goes on.
        await client.SendAsync("GET /v1.45/_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        Assert.Equal(1, _proxy.Stats.RefusedCount);
    }

    [Fact]
    public async Task An_allowed_create_reaches_the_daemon_with_the_session_labels_and_the_users_own()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendJsonAsync("POST", "/v1.45/containers/create?name=web", """{"Image":"x","Labels":{"app":"web"}}""");
        var response = await client.ReadResponseAsync();

        Assert.Equal(201, response.Status);
        var received = Assert.Single(_daemon.Requests);
        Assert.Equal("/v1.45/containers/create?name=web", received.Target);
        Assert.Equal(received.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), received.Header("Content-Length"));
        var labels = JsonDocument.Parse(received.Body).RootElement.GetProperty("Labels");
        Assert.Equal("web", labels.GetProperty("app").GetString());
        Assert.Equal(Session, labels.GetProperty(SessionLabels.Session).GetString());
        Assert.Equal("test-created", labels.GetProperty(SessionLabels.Role).GetString());
        Assert.Equal("host:1:2", labels.GetProperty(SessionLabels.Owner).GetString());
    }

    [Fact]
    public async Task A_chunked_create_body_is_read_whole_inspected_and_sent_on_with_a_length()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);
        const string Json = """{"Image":"x","Labels":{"a":"b"}}""";

        await client.SendAsync($"POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
        Assert.Equal(100, (await client.ReadResponseAsync()).Status);
        await client.SendAsync($"5\r\n{Json[..5]}\r\n{Json.Length - 5:x};ext=1\r\n{Json[5..]}\r\n0\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(201, response.Status);
        var received = Assert.Single(_daemon.Requests);
        Assert.Null(received.Header("Transfer-Encoding"));
        Assert.Null(received.Header("Expect"));
        Assert.Equal(Session, JsonDocument.Parse(received.Body).RootElement.GetProperty("Labels").GetProperty(SessionLabels.Session).GetString());

        await client.SendAsync($"POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n{"""{"HostConfig":{"PidMode":"host"}}""".Length:x}\r\n{"""{"HostConfig":{"PidMode":"host"}}"""}\r\n0\r\n\r\n");
        Assert.Contains("PidMode=host", (await client.ReadResponseAsync()).Message, StringComparison.Ordinal);
        Assert.Single(_daemon.Requests);
    }

    [Fact]
    public async Task Other_requests_go_through_byte_for_byte_including_chunked_bodies_on_one_kept_alive_connection()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);
        const string Upload = "PUT /v1.45/containers/abc/archive?path=%2Ftmp HTTP/1.1\r\nHost: docker\r\nX-Odd:   spaced value \r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;name=value\r\nefg\r\n0\r\n\r\n";

        await client.SendAsync(Upload);
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("GET /v1.45/events HTTP/1.1\r\nHost: docker\r\n\r\n");
        var events = await client.ReadResponseAsync();
        await client.SendAsync("GET /info HTTP/1.1\r\nHost: docker\r\n\r\n");
        var info = await client.ReadResponseAsync();

        Assert.Equal(["""{"status":"create"}""", """{"status":"start"}""", """{"status":"die"}"""], events.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("""{"seen":"GET /info"}""", info.Body);
        var received = _daemon.Requests.ToArray();
        Assert.Equal(["PUT", "GET", "GET"], received.Select(r => r.Method));
        Assert.Equal("abcdefg", received[0].BodyText);
        Assert.Equal("spaced value", received[0].Header("X-Odd"));
        Assert.Equal(1, _daemon.Connections);
    }

    [Fact]
    public async Task A_body_that_hides_a_second_request_stays_a_body()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);
        const string Hidden = "POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 41\r\n\r\n{\"HostConfig\":{\"Privileged\":true},\"x\":1}";

        await client.SendAsync($"POST /containers/abc/wait HTTP/1.1\r\nHost: docker\r\nContent-Length: {Hidden.Length}\r\n\r\n{Hidden}");
        var response = await client.ReadResponseAsync();
        Assert.True(response.Status == 200, response.Body);

        var received = Assert.Single(_daemon.Requests);
        Assert.Equal(Hidden, received.BodyText);
    }

    [Theory]
    [InlineData("POST /containers/create HTTP/1.1\nHost: docker\nContent-Length: 2\n\n{}")]
    [InlineData("POST /x HTTP/1.1\r\nHost: docker\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("POST /x HTTP/1.1\r\nHost: docker\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")]
    [InlineData("POST /x HTTP/1.1\r\nHost: docker\r\nContent-Length: +3\r\n\r\nabc")]
    [InlineData("POST /x HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("POST /x HTTP/1.0\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("POST /x HTTP/1.1\r\nHost: docker\r\nContent-Length : 3\r\n\r\nabc")]
    [InlineData("POST /x HTTP/1.1\r\nHost: docker\r\nX-A: 1\r\n Content-Length: 3\r\n\r\nabc")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("GET /a b HTTP/1.1\r\nHost: docker\r\n\r\n")]
    [InlineData("GET /containers/%zz/json HTTP/1.1\r\nHost: docker\r\n\r\n")]
    [InlineData("\r\nGET /info HTTP/1.1\r\nHost: docker\r\n\r\n")]
    public async Task Ambiguous_or_malformed_requests_get_a_400_and_nothing_reaches_the_daemon(string request)
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendAsync(request);
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.StartsWith("DindBuild socket policy: a malformed request", response.Message, StringComparison.Ordinal);
        Assert.True(await client.IsClosedAsync());
        Assert.Empty(_daemon.Requests);
    }

    [Theory]
    [InlineData("4\r\nabcd\n0\r\n\r\n")]
    [InlineData("4 \r\nabcd\r\n0\r\n\r\n")]
    [InlineData("0x4\r\nabcd\r\n0\r\n\r\n")]
    [InlineData("4\r\nabcdX\r\n0\r\n\r\n")]
    [InlineData("4\r\nabcd\r\n0\r\nTrailer: x\r\n\r\n")]
    public async Task A_malformed_chunked_body_ends_the_connection_before_anything_after_it_reaches_the_daemon(string chunks)
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);
        const string Smuggled = "POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 32\r\n\r\n{\"HostConfig\":{\"Privileged\":true}}";

        await client.SendAsync($"PUT /containers/abc/archive HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}{Smuggled}");
        await client.ReadToEndAsync();

        Assert.DoesNotContain(_daemon.Requests, request => request.Target.Contains("create", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_oversized_create_body_is_refused_and_the_connection_closed()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);
        var length = RequestPolicy.BodyLimit + 1;

        await client.SendAsync($"POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: {length}\r\n\r\n");
        var response = await client.ReadResponseAsync();
        await client.SendAsync(new byte[length]);

        Assert.Equal(403, response.Status);
        Assert.Contains("larger than 1 MiB", response.Message, StringComparison.Ordinal);
        Assert.True(await client.IsClosedAsync());
        Assert.Empty(_daemon.Requests);
    }

    [Fact]
    public async Task An_oversized_request_head_is_refused()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendAsync($"GET /info HTTP/1.1\r\nHost: docker\r\nX-Big: {new string('a', 70 * 1024)}\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Contains("longer than 64 KiB", response.Message, StringComparison.Ordinal);
        Assert.Empty(_daemon.Requests);
    }

    [Fact]
    public async Task An_upgraded_attach_becomes_a_blind_pipe_both_ways_with_half_close()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendAsync("POST /v1.45/containers/abc/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
        var upgraded = await client.ReadResponseAsync();
        await client.SendAsync("hello ");
        await client.SendAsync("POST /containers/create HTTP/1.1\r\n\r\n");
        client.HalfClose();
        var echoed = await client.ReadToEndAsync();

        Assert.Equal(101, upgraded.Status);
        Assert.Equal("HELLO POST /CONTAINERS/CREATE HTTP/1.1\r\n\r\n", echoed);
        Assert.Single(_daemon.Requests);
    }

    [Fact]
    public async Task A_raw_stream_response_without_a_length_is_piped_until_the_daemon_closes()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendAsync("POST /raw HTTP/1.1\r\nHost: docker\r\n\r\nearly stdin");
        var head = await client.ReadHeadAsync();
        client.HalfClose();

        Assert.StartsWith("HTTP/1.1 200 OK", head, StringComparison.Ordinal);
        Assert.Equal("EARLY STDIN", await client.ReadToEndAsync());
    }

    [Fact]
    public async Task An_HTTP_1_0_request_gets_its_answer_and_the_connection_closes()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendAsync("GET /info HTTP/1.0\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal("""{"seen":"GET /info"}""", response.Body);
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Cluster_and_plugin_calls_are_refused_their_small_body_dropped_unread_and_the_connection_goes_on()
    {
        await using var client = await RawConnection.OpenAsync(ListenPath);
        const string LooksLikeARequest = "GET /smuggled HTTP/1.1\r\nHost: docker\r\n\r\n";

        await client.SendAsync($"POST /v1.45/plugins/pull?remote=evil/plugin HTTP/1.1\r\nHost: docker\r\nContent-Length: {LooksLikeARequest.Length}\r\n\r\n{LooksLikeARequest}");
        var refused = await client.ReadResponseAsync();
        await client.SendAsync("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
        var next = await client.ReadResponseAsync();

        Assert.Equal(403, refused.Status);
        Assert.Contains("plugin, swarm and service management is not allowed", refused.Message, StringComparison.Ordinal);
        Assert.Equal(200, next.Status);
        Assert.Equal(["GET /_ping"], _daemon.Requests.Select(request => $"{request.Method} {request.Target}"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_still_sending_a_refused_body_after_the_answer_is_not_cut_off_and_the_connection_then_ends(bool chunked)
    {
        // The docker CLI sends the body whatever the answer: were the socket closed with its bytes unread,
        // the client would get "broken pipe" on its write instead of reading our 403.
        await using var client = await RawConnection.OpenAsync(ListenPath);
        var body = new byte[4 << 20];
        var framing = chunked ? "Transfer-Encoding: chunked" : $"Content-Length: {body.Length}";

        await client.SendAsync($"POST /v1.45/plugins/pull?remote=evil/plugin HTTP/1.1\r\nHost: docker\r\n{framing}\r\n\r\n");
        var refused = await client.ReadResponseAsync();
        await client.SendAsync(chunked ? [.. Encoding.ASCII.GetBytes($"{body.Length:x}\r\n"), .. body, .. "\r\n0\r\n\r\n"u8] : body);

        Assert.Equal(403, refused.Status);
        Assert.True(await client.IsClosedAsync());
        Assert.Empty(_daemon.Requests);
    }

    [Fact]
    public async Task Creating_a_volume_the_daemon_already_has_leaves_its_labels_alone()
    {
        _daemon.ExistingVolumes.Add("hosts-data");
        await using var client = await RawConnection.OpenAsync(ListenPath);

        await client.SendJsonAsync("POST", "/volumes/create", """{"Name":"hosts-data"}""");
        await client.ReadResponseAsync();
        await client.SendJsonAsync("POST", "/volumes/create", """{"Name":"new-data"}""");
        await client.ReadResponseAsync();

        var creates = _daemon.Requests.Where(request => request.Method == "POST").ToArray();
        Assert.False(JsonDocument.Parse(creates[0].Body).RootElement.TryGetProperty("Labels", out _));
        Assert.Equal(Session, JsonDocument.Parse(creates[1].Body).RootElement.GetProperty("Labels").GetProperty(SessionLabels.Session).GetString());
    }

    [Fact]
    public async Task Many_clients_at_once_each_get_their_own_answers()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            await using var client = await RawConnection.OpenAsync(ListenPath);
            await client.SendAsync($"GET /containers/c{i}/json HTTP/1.1\r\nHost: docker\r\n\r\n");
            return (await client.ReadResponseAsync()).Body;
        }));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $$"""{"seen":"GET /containers/c{{i}}/json"}"""), answers);
    }

    [Fact]
    public async Task Disposing_closes_open_connections_and_stops_listening_but_leaves_the_file_the_test_container_mounts()
    {
        var client = await RawConnection.OpenAsync(ListenPath);
        await client.SendAsync("GET /v1.45/events HTTP/1.1\r\nHost: docker\r\n");

        await _proxy.DisposeAsync();

        Assert.True(await client.IsClosedAsync());
        await client.DisposeAsync();
        await Assert.ThrowsAnyAsync<SocketException>(async () => await RawConnection.OpenAsync(ListenPath));
        Assert.True(File.Exists(ListenPath), "the daemon mounts the test container's filesystem (for the export) only while the file exists");
    }

    [Fact]
    public async Task A_daemon_that_does_not_answer_is_a_502_naming_its_socket()
    {
        await using var proxy = SocketPolicyProxy.Start(Path.Combine(_daemon.Directory, "other", "proxy.sock"), "/nonexistent/docker.sock", Session, "o", PolicySocketInDaemon, Logger.None);
        await using var client = await RawConnection.OpenAsync(proxy.ListenPath);

        await client.SendAsync("GET /info HTTP/1.1\r\nHost: docker\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(502, response.Status);
        Assert.Contains("/nonexistent/docker.sock", response.Message, StringComparison.Ordinal);
    }
}
