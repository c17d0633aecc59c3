using System.Buffers.Binary;

namespace DindBuild.ImageBuild.Session;

/// <summary>HTTP/2 frame types (RFC 9113 §6).</summary>
internal enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>One frame as read: the 9-byte header's fields and a payload of at most the advertised maximum frame size.</summary>
internal readonly record struct Http2Frame(Http2FrameType Type, byte Flags, int StreamId, byte[] Payload)
{
    public const int HeaderLength = 9;

    /// <summary>SETTINGS_MAX_FRAME_SIZE's initial value, which the session server never raises.</summary>
    public const int MaxPayload = 16384;

    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte PriorityFlag = 0x20;

    public bool Has(byte flag) => (Flags & flag) != 0;

    /// <summary>Reads one frame; a frame over <see cref="MaxPayload"/> is a FRAME_SIZE_ERROR before its payload is read. Null at a clean end of stream.</summary>
    public static async Task<Http2Frame?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderLength];
        var read = await stream.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < HeaderLength)
        {
            throw new Http2ProtocolException(Http2Error.Protocol, $"the connection ended inside a frame header ({read} of {HeaderLength} bytes)");
        }

        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        if (length > MaxPayload)
        {
            throw new Http2ProtocolException(Http2Error.FrameSize, $"a frame of {length} bytes, over the {MaxPayload} advertised");
        }

        var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7fffffff);
        var payload = new byte[length];
        read = await stream.ReadAtLeastAsync(payload, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < length)
        {
            throw new Http2ProtocolException(Http2Error.Protocol, $"the connection ended inside a frame ({read} of {length} bytes)");
        }

        return new Http2Frame((Http2FrameType)header[3], header[4], streamId, payload);
    }

    /// <summary>The frame's bytes: the header, then <paramref name="payload"/>.</summary>
    public static byte[] Encode(Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = (byte)type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)streamId & 0x7fffffff);
        payload.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>A DATA or HEADERS payload without its padding (and, for HEADERS, the priority fields).</summary>
    public ReadOnlySpan<byte> Content()
    {
        var span = Payload.AsSpan();
        var padding = 0;
        if (Has(Padded) && Type is Http2FrameType.Data or Http2FrameType.Headers)
        {
            if (span.Length < 1)
            {
                throw new Http2ProtocolException(Http2Error.Protocol, "a padded frame without its pad length");
            }

            padding = span[0];
            span = span[1..];
        }

        if (Type == Http2FrameType.Headers && Has(PriorityFlag))
        {
            if (span.Length < 5)
            {
                throw new Http2ProtocolException(Http2Error.Protocol, "a HEADERS frame too short for its priority fields");
            }

            span = span[5..];
        }

        if (padding > span.Length)
        {
            throw new Http2ProtocolException(Http2Error.Protocol, $"padding of {padding} bytes in a frame with {span.Length} left");
        }

        return span[..^padding];
    }
}
