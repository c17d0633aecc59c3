using System.Buffers.Binary;
using System.Text;
using DindBuild.Docker;
using DindBuild.ImageBuild.Session;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// The session's HTTP/2 server over an in-memory connection, with the test as the daemon (the HTTP/2 client): unary
/// gRPC calls, flow control for a secret larger than the initial window, and malformed input ending in GOAWAY.
/// </summary>
public sealed class Http2SessionServerTests
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetSecret_answers_the_value_health_checks_answer_SERVING_and_other_methods_UNIMPLEMENTED()
    {
        await using var peer = await Peer.StartAsync([new BuildSecret("token", "s3cret"u8.ToArray())]);

        var secret = await peer.CallAsync(1, SessionServices.GetSecret, ProtoBytes.Field(1, "token"));
        var health = await peer.CallAsync(3, SessionServices.HealthCheck, []);
        var other = await peer.CallAsync(5, "/moby.filesync.v1.Auth/Credentials", []);
        var missing = await peer.CallAsync(7, SessionServices.GetSecret, ProtoBytes.Field(1, "absent"));

        Assert.Equal("0", secret.Status);
        Assert.Equal(ProtoBytes.Field(1, "s3cret"), secret.Message);
        Assert.Equal("0", health.Status);
        Assert.Equal(ProtoBytes.VarintField(1, 1), health.Message);
        Assert.Equal("12", other.Status);
        Assert.Equal("5", missing.Status);
        Assert.Contains("secret%20absent%20not%20found", missing.StatusMessage, StringComparison.Ordinal);
        Assert.Equal(["token", "absent"], peer.Services.SecretsAsked);
        Assert.Equal(1, peer.Services.HealthChecks);
        Assert.Equal(["/moby.filesync.v1.Auth/Credentials"], peer.Services.OtherMethods);
    }

    [Fact]
    public async Task A_secret_larger_than_the_initial_window_is_sent_as_the_daemon_opens_the_window()
    {
        var value = Encoding.ASCII.GetBytes(new string('v', 200_000));
        await using var peer = await Peer.StartAsync([new BuildSecret("big", value)]);

        var answer = await peer.CallAsync(1, SessionServices.GetSecret, ProtoBytes.Field(1, "big"), windowUpdates: true);

        Assert.Equal("0", answer.Status);
        Assert.Equal(ProtoBytes.Field(1, value), answer.Message);
        Assert.All(answer.DataFrameSizes, size => Assert.InRange(size, 1, Http2Frame.MaxPayload));
    }

    [Fact]
    public async Task A_frame_over_the_advertised_size_ends_the_connection_with_GOAWAY_FRAME_SIZE_ERROR()
    {
        await using var peer = await Peer.StartAsync([]);

        await peer.SendAsync(Http2FrameType.Data, 0, 1, new byte[Http2Frame.MaxPayload + 1]);

        Assert.Equal(Http2Error.FrameSize, await peer.GoAwayAsync());
        Assert.Contains("over the 16384 advertised", peer.Server.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_between_HEADERS_and_its_CONTINUATION_is_a_protocol_error()
    {
        await using var peer = await Peer.StartAsync([]);

        await peer.SendAsync(Http2FrameType.Headers, 0, 1, HpackEncoder.Encode([(":path", "/x")]));
        await peer.SendAsync(Http2FrameType.Ping, 0, 0, new byte[8]);

        Assert.Equal(Http2Error.Protocol, await peer.GoAwayAsync());
        Assert.Contains("inside the header block", peer.Server.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endless_header_block_is_refused_past_64_KiB()
    {
        await using var peer = await Peer.StartAsync([]);

        await peer.SendAsync(Http2FrameType.Headers, 0, 1, new byte[16384]);
        for (var i = 0; i < 4; i++)
        {
            await peer.SendAsync(Http2FrameType.Continuation, 0, 1, new byte[16384]);
        }

        Assert.Equal(Http2Error.EnhanceYourCalm, await peer.GoAwayAsync());
    }

    [Fact]
    public async Task A_connection_that_does_not_open_with_the_preface_is_refused()
    {
        var pipe = new DuplexPipe();
        var server = new Http2SessionServer(pipe.Server, new SessionServices([]));
        var running = server.RunAsync(Cancel);

        await pipe.Client.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), Cancel);
        await running;

        Assert.Contains("connection preface", server.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pings_are_answered_with_their_payload()
    {
        await using var peer = await Peer.StartAsync([]);
        byte[] payload = [1, 2, 3, 4, 5, 6, 7, 8];

        await peer.SendAsync(Http2FrameType.Ping, 0, 0, payload);
        var ack = await peer.NextAsync(frame => frame.Type == Http2FrameType.Ping);

        Assert.True(ack.Has(Http2Frame.Ack));
        Assert.Equal(payload, ack.Payload);
    }

    /// <summary>The daemon's side: preface, SETTINGS, requests; reads the server's frames.</summary>
    private sealed class Peer : IAsyncDisposable
    {
        private readonly DuplexPipe _pipe;
        private readonly Task _running;
        private readonly HpackDecoder _decoder = new(65536);

        private Peer(DuplexPipe pipe, Http2SessionServer server, SessionServices services)
        {
            _pipe = pipe;
            Server = server;
            Services = services;
            _running = server.RunAsync(Cancel);
        }

        public Http2SessionServer Server { get; }

        public SessionServices Services { get; }

        public static async Task<Peer> StartAsync(IReadOnlyList<BuildSecret> secrets)
        {
            var pipe = new DuplexPipe();
            var services = new SessionServices(secrets);
            var peer = new Peer(pipe, new Http2SessionServer(pipe.Server, services), services);
            await pipe.Client.WriteAsync(Preface, Cancel);
            await peer.SendAsync(Http2FrameType.Settings, 0, 0, []);
            var settings = await peer.NextAsync(frame => frame.Type == Http2FrameType.Settings && !frame.Has(Http2Frame.Ack));
            Assert.Equal(12, settings.Payload.Length);
            await peer.NextAsync(frame => frame.Type == Http2FrameType.Settings && frame.Has(Http2Frame.Ack));
            return peer;
        }

        public async Task SendAsync(Http2FrameType type, byte flags, int stream, byte[] payload) =>
            await _pipe.Client.WriteAsync(Http2Frame.Encode(type, flags, stream, payload), Cancel);

        public async Task<Http2Frame> NextAsync(Func<Http2Frame, bool> wanted)
        {
            while (true)
            {
                var frame = await Http2Frame.ReadAsync(_pipe.Client, Cancel) ?? throw new InvalidOperationException("the server closed the connection");
                if (wanted(frame))
                {
                    return frame;
                }
            }
        }

        public async Task<Http2Error> GoAwayAsync()
        {
            var frame = await NextAsync(frame => frame.Type == Http2FrameType.GoAway);
            return (Http2Error)BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(4));
        }

        /// <summary>A unary call; with <paramref name="windowUpdates"/>, every DATA frame received is acknowledged with WINDOW_UPDATEs.</summary>
        public async Task<Answer> CallAsync(int stream, string path, byte[] request, bool windowUpdates = false)
        {
            await SendAsync(Http2FrameType.Headers, Http2Frame.EndHeaders, stream, HpackEncoder.Encode([(":method", "POST"), (":scheme", "http"), (":path", path), ("content-type", "application/grpc"), ("te", "trailers")]));
            await SendAsync(Http2FrameType.Data, Http2Frame.EndStream, stream, GrpcMessages.Frame(request));
            var body = new List<byte>();
            var sizes = new List<int>();
            var fields = new List<(string Name, string Value)>();
            while (true)
            {
                var frame = await NextAsync(frame => frame.StreamId == stream);
                if (frame.Type == Http2FrameType.Data)
                {
                    body.AddRange(frame.Payload);
                    sizes.Add(frame.Payload.Length);
                    if (windowUpdates)
                    {
                        var increment = new byte[4];
                        BinaryPrimitives.WriteUInt32BigEndian(increment, (uint)frame.Payload.Length);
                        await SendAsync(Http2FrameType.WindowUpdate, 0, 0, increment);
                        await SendAsync(Http2FrameType.WindowUpdate, 0, stream, increment);
                    }
                }
                else if (frame.Type == Http2FrameType.Headers)
                {
                    fields.AddRange(_decoder.Decode(frame.Payload));
                }

                if (frame.Has(Http2Frame.EndStream))
                {
                    break;
                }
            }

            Assert.Contains((":status", "200"), fields);
            var message = body.Count == 0 ? [] : body.Skip(GrpcMessages.PrefixLength).ToArray();
            return new Answer(fields.Single(field => field.Name == "grpc-status").Value, fields.FirstOrDefault(field => field.Name == "grpc-message").Value ?? "", message, sizes);
        }

        public async ValueTask DisposeAsync()
        {
            await _pipe.Client.DisposeAsync();
            await _running.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        }
    }

    private sealed record Answer(string Status, string StatusMessage, byte[] Message, IReadOnlyList<int> DataFrameSizes);
}
