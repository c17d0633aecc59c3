using System.Buffers.Binary;

namespace DindBuild.ImageBuild.Session;

/// <summary>
/// A bounded HTTP/2 server (RFC 9113, h2c with prior knowledge) for one peer: the daemon, which after the session's
/// upgrade acts as the gRPC client over the hijacked connection. It serves unary gRPC calls to <see cref="SessionServices"/>.
/// Every byte from the daemon is hostile: frames are at most 16 KiB, a header block at most 64 KiB (16 KiB decoded), a
/// request body at most 64 KiB, at most 100 streams at once; a protocol error ends the connection with a GOAWAY.
/// </summary>
/// <remarks>Over 300 lines would split the frame handling from the stream bookkeeping, which share all their state.</remarks>
internal sealed class Http2SessionServer(Stream connection, SessionServices services)
{
    public const int MaxHeaderListSize = 16 * 1024;
    public const int MaxHeaderBlock = 64 * 1024;
    public const int MaxRequestBody = 64 * 1024;
    public const int MaxStreams = 100;
    private const int DefaultWindow = 65535;

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly HpackDecoder _hpack = new(MaxHeaderListSize);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<int, RequestStream> _streams = [];
    private readonly List<Task> _responses = [];
    private readonly object _windowLock = new();
    private TaskCompletionSource _windowChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _connectionWindow = DefaultWindow;
    private int _initialStreamWindow = DefaultWindow;
    private int _lastStreamId;

    /// <summary>Why the connection ended, when it was the daemon's fault (a protocol error); null for a clean end.</summary>
    public string? Failure { get; private set; }

    /// <summary>Serves until the daemon closes the connection, sends GOAWAY, breaks the protocol, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var preface = new byte[Preface.Length];
            var read = await connection.ReadAtLeastAsync(preface, preface.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read < preface.Length || !preface.AsSpan().SequenceEqual(Preface))
            {
                throw new Http2ProtocolException(Http2Error.Protocol, "the daemon did not open with the HTTP/2 connection preface");
            }

            // MAX_CONCURRENT_STREAMS (3) and MAX_HEADER_LIST_SIZE (6); the other settings keep their initial values.
            var settings = new byte[12];
            BinaryPrimitives.WriteUInt16BigEndian(settings, 0x3);
            BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(2), MaxStreams);
            BinaryPrimitives.WriteUInt16BigEndian(settings.AsSpan(6), 0x6);
            BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(8), MaxHeaderListSize);
            await WriteAsync(Http2FrameType.Settings, 0, 0, settings, cancellationToken).ConfigureAwait(false);
            while (await Http2Frame.ReadAsync(connection, cancellationToken).ConfigureAwait(false) is { } frame)
            {
                if (!await HandleAsync(frame, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (Http2ProtocolException ex)
        {
            Failure = ex.Message;
            await GoAwayAsync(ex.Error, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            PulseWindow();
            await Task.WhenAll(Snapshot()).ConfigureAwait(false);
        }
    }

    private async Task<bool> HandleAsync(Http2Frame frame, CancellationToken cancellationToken)
    {
        switch (frame.Type)
        {
            case Http2FrameType.Settings:
                await SettingsAsync(frame, cancellationToken).ConfigureAwait(false);
                return true;
            case Http2FrameType.Headers:
                await HeadersAsync(frame, cancellationToken).ConfigureAwait(false);
                return true;
            case Http2FrameType.Data:
                await DataAsync(frame, cancellationToken).ConfigureAwait(false);
                return true;
            case Http2FrameType.WindowUpdate:
                WindowUpdate(frame);
                return true;
            case Http2FrameType.Ping when !frame.Has(Http2Frame.Ack):
                if (frame.Payload.Length != 8 || frame.StreamId != 0)
                {
                    throw new Http2ProtocolException(Http2Error.FrameSize, "a PING that is not 8 bytes on stream 0");
                }

                await WriteAsync(Http2FrameType.Ping, Http2Frame.Ack, 0, frame.Payload, cancellationToken).ConfigureAwait(false);
                return true;
            case Http2FrameType.RstStream:
                lock (_streams)
                {
                    _streams.Remove(frame.StreamId);
                }

                return true;
            case Http2FrameType.GoAway:
                return false;
            case Http2FrameType.PushPromise:
                throw new Http2ProtocolException(Http2Error.Protocol, "a PUSH_PROMISE from the client");
            case Http2FrameType.Continuation:
                throw new Http2ProtocolException(Http2Error.Protocol, "a CONTINUATION without a HEADERS before it");
            default:
                // PRIORITY, PING acknowledgements and unknown types are ignored (RFC 9113 §4.1, §5.5).
                return true;
        }
    }

    private async Task SettingsAsync(Http2Frame frame, CancellationToken cancellationToken)
    {
        if (frame.StreamId != 0 || (frame.Has(Http2Frame.Ack) ? frame.Payload.Length != 0 : frame.Payload.Length % 6 != 0))
        {
            throw new Http2ProtocolException(Http2Error.FrameSize, $"a SETTINGS frame of {frame.Payload.Length} bytes on stream {frame.StreamId}");
        }

        if (frame.Has(Http2Frame.Ack))
        {
            return;
        }

        for (var offset = 0; offset < frame.Payload.Length; offset += 6)
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(frame.Payload.AsSpan(offset));
            var value = BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(offset + 2));
            if (id == 0x4)
            {
                if (value > int.MaxValue)
                {
                    throw new Http2ProtocolException(Http2Error.FlowControl, $"an initial window size of {value}");
                }

                lock (_windowLock)
                {
                    var delta = (int)value - _initialStreamWindow;
                    _initialStreamWindow = (int)value;
                    lock (_streams)
                    {
                        foreach (var stream in _streams.Values)
                        {
                            stream.SendWindow += delta;
                        }
                    }
                }

                PulseWindow();
            }
        }

        await WriteAsync(Http2FrameType.Settings, Http2Frame.Ack, 0, [], cancellationToken).ConfigureAwait(false);
    }

    private async Task HeadersAsync(Http2Frame frame, CancellationToken cancellationToken)
    {
        var id = frame.StreamId;
        var block = new List<byte>(frame.Content().ToArray());
        var endStream = frame.Has(Http2Frame.EndStream);
        var last = frame;
        while (!last.Has(Http2Frame.EndHeaders))
        {
            last = await Http2Frame.ReadAsync(connection, cancellationToken).ConfigureAwait(false)
                ?? throw new Http2ProtocolException(Http2Error.Protocol, "the connection ended inside a header block");
            if (last.Type != Http2FrameType.Continuation || last.StreamId != id)
            {
                throw new Http2ProtocolException(Http2Error.Protocol, $"a {last.Type} frame inside the header block of stream {id}");
            }

            block.AddRange(last.Payload);
            if (block.Count > MaxHeaderBlock)
            {
                throw new Http2ProtocolException(Http2Error.EnhanceYourCalm, $"a header block over {MaxHeaderBlock} bytes");
            }
        }

        // Decoded even for a stream that is refused: the HPACK table must stay in step with the peer's.
        var fields = _hpack.Decode(block.ToArray());
        if (id % 2 == 0 || id <= _lastStreamId)
        {
            throw new Http2ProtocolException(Http2Error.Protocol, $"HEADERS on stream {id}, not a new client stream (the last was {_lastStreamId})");
        }

        _lastStreamId = id;
        var path = fields.FirstOrDefault(field => field.Name == ":path").Value ?? "";
        RequestStream request;
        lock (_streams)
        {
            if (_streams.Count >= MaxStreams)
            {
                request = null!;
            }
            else
            {
                request = new RequestStream(id, path) { SendWindow = _initialStreamWindow };
                _streams[id] = request;
            }
        }

        if (request is null)
        {
            await ResetAsync(id, Http2Error.RefusedStream, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (endStream)
        {
            Respond(request);
        }
    }

    private async Task DataAsync(Http2Frame frame, CancellationToken cancellationToken)
    {
        if (frame.StreamId == 0)
        {
            throw new Http2ProtocolException(Http2Error.Protocol, "DATA on stream 0");
        }

        // The whole frame counts against the flow-control window, padding included: give it back at once.
        if (frame.Payload.Length > 0)
        {
            var increment = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(increment, (uint)frame.Payload.Length);
            await WriteAsync(Http2FrameType.WindowUpdate, 0, 0, increment, cancellationToken).ConfigureAwait(false);
        }

        RequestStream? request;
        lock (_streams)
        {
            _streams.TryGetValue(frame.StreamId, out request);
        }

        if (request is null || request.Answered)
        {
            // A stream already reset or answered: nothing to add to (RFC 9113 §5.1, STREAM_CLOSED).
            await ResetAsync(frame.StreamId, Http2Error.StreamClosed, cancellationToken).ConfigureAwait(false);
            return;
        }

        var content = frame.Content();
        if (request.Body.Count + content.Length > MaxRequestBody)
        {
            request.TooLarge = true;
        }
        else
        {
            request.Body.AddRange(content);
        }

        if (frame.Has(Http2Frame.EndStream))
        {
            Respond(request);
        }
    }

    private void WindowUpdate(Http2Frame frame)
    {
        if (frame.Payload.Length != 4)
        {
            throw new Http2ProtocolException(Http2Error.FrameSize, $"a WINDOW_UPDATE of {frame.Payload.Length} bytes");
        }

        var increment = BinaryPrimitives.ReadUInt32BigEndian(frame.Payload) & 0x7fffffff;
        lock (_windowLock)
        {
            if (frame.StreamId == 0)
            {
                _connectionWindow += increment;
                if (_connectionWindow > int.MaxValue)
                {
                    throw new Http2ProtocolException(Http2Error.FlowControl, "a connection window over 2^31-1");
                }
            }
            else
            {
                lock (_streams)
                {
                    if (_streams.TryGetValue(frame.StreamId, out var stream))
                    {
                        stream.SendWindow += increment;
                    }
                }
            }
        }

        PulseWindow();
    }

    private void Respond(RequestStream request)
    {
        request.Answered = true;
        var result = request.TooLarge
            ? GrpcResult.Fail(GrpcResult.ResourceExhausted, $"a request body over {MaxRequestBody} bytes")
            : GrpcMessages.TryReadSingle(request.Body.ToArray(), out var message, out var problem)
                ? services.Call(request.Path, message)
                : GrpcResult.Fail(GrpcResult.InvalidArgument, problem!);
        lock (_responses)
        {
            _responses.RemoveAll(task => task.IsCompleted);
            _responses.Add(SendAsync(request, result));
        }
    }

    /// <summary>A gRPC response: headers, the message (within the peer's flow-control windows), trailers with grpc-status.</summary>
    private async Task SendAsync(RequestStream request, GrpcResult result)
    {
        try
        {
            List<(string, string)> headers = [(":status", "200"), ("content-type", "application/grpc")];
            List<(string, string)> trailers = [("grpc-status", result.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))];
            if (result.Message is { } text)
            {
                trailers.Add(("grpc-message", Uri.EscapeDataString(text)));
            }

            if (result.Response is null)
            {
                // Trailers-only: one HEADERS frame that ends the stream.
                await WriteAsync(Http2FrameType.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, request.Id, HpackEncoder.Encode([.. headers, .. trailers]), CancellationToken.None).ConfigureAwait(false);
                return;
            }

            await WriteAsync(Http2FrameType.Headers, Http2Frame.EndHeaders, request.Id, HpackEncoder.Encode(headers), CancellationToken.None).ConfigureAwait(false);
            var body = GrpcMessages.Frame(result.Response);
            for (var sent = 0; sent < body.Length;)
            {
                var size = await TakeWindowAsync(request, Math.Min(body.Length - sent, Http2Frame.MaxPayload)).ConfigureAwait(false);
                if (size == 0)
                {
                    return;
                }

                await WriteAsync(Http2FrameType.Data, 0, request.Id, body.AsSpan(sent, size).ToArray(), CancellationToken.None).ConfigureAwait(false);
                sent += size;
            }

            await WriteAsync(Http2FrameType.Headers, Http2Frame.EndHeaders | Http2Frame.EndStream, request.Id, HpackEncoder.Encode(trailers), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The connection is gone: the build sees that on its own side.
        }
        finally
        {
            lock (_streams)
            {
                _streams.Remove(request.Id);
            }
        }
    }

    /// <summary>Up to <paramref name="wanted"/> bytes of send window, waiting for WINDOW_UPDATE; 0 when the stream or connection is gone.</summary>
    private async Task<int> TakeWindowAsync(RequestStream request, int wanted)
    {
        while (true)
        {
            Task changed;
            lock (_windowLock)
            {
                lock (_streams)
                {
                    if (!_streams.ContainsKey(request.Id) || Failure is not null)
                    {
                        return 0;
                    }
                }

                var available = (int)Math.Min(Math.Min(_connectionWindow, request.SendWindow), wanted);
                if (available > 0)
                {
                    _connectionWindow -= available;
                    request.SendWindow -= available;
                    return available;
                }

                changed = _windowChanged.Task;
            }

            if (await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false) != changed)
            {
                return 0;
            }
        }
    }

    private void PulseWindow()
    {
        TaskCompletionSource previous;
        lock (_windowLock)
        {
            previous = _windowChanged;
            _windowChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    private Task ResetAsync(int streamId, Http2Error error, CancellationToken cancellationToken)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)error);
        return WriteAsync(Http2FrameType.RstStream, 0, streamId, payload, cancellationToken);
    }

    private async Task GoAwayAsync(Http2Error error, CancellationToken cancellationToken)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)_lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)error);
        try
        {
            await WriteAsync(Http2FrameType.GoAway, 0, 0, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Best effort: the peer may be gone already.
        }
    }

    private async Task WriteAsync(Http2FrameType type, byte flags, int streamId, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = Http2Frame.Encode(type, flags, streamId, payload);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await connection.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private Task[] Snapshot()
    {
        lock (_responses)
        {
            return [.. _responses];
        }
    }

    private sealed class RequestStream(int id, string path)
    {
        public int Id { get; } = id;

        public string Path { get; } = path;

        public List<byte> Body { get; } = [];

        public bool TooLarge { get; set; }

        public bool Answered { get; set; }

        public long SendWindow { get; set; }
    }
}
