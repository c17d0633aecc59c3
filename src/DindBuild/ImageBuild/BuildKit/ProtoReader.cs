namespace DindBuild.ImageBuild.BuildKit;

/// <summary>
/// A bounded reader of the protobuf wire format, for the handful of fields DindBuild takes from BuildKit's
/// <c>moby.buildkit.v1.StatusResponse</c> (see <see cref="StatusResponseDecoder"/>).
/// </summary>
/// <remarks>
/// Why hand-written rather than Google.Protobuf with moby's <c>control.proto</c>: we read five messages and about
/// twenty fields of them, and <c>control.proto</c> imports gogo's options and BuildKit's <c>ops.proto</c>, which
/// would have to be vendored and compiled with Grpc.Tools at every build for types we never use. The trace comes
/// from a daemon that runs the build's (untrusted) steps, so the reader must be hostile-input safe anyway: every
/// read is checked against what is left of the buffer (a length can never point past it), a varint is at most
/// ten bytes with nothing above bit 63, groups and unknown wire types are refused, and nothing recurses — so a
/// malformed or truncated message ends in an <see cref="InvalidDataException"/>, never a crash or a hang, and the
/// work is linear in the message's size (which the stream reader bounds).
/// </remarks>
internal ref struct ProtoReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public enum WireType
    {
        Varint = 0,
        Fixed64 = 1,
        LengthDelimited = 2,
        Fixed32 = 5,
    }

    public readonly bool AtEnd => _position >= _buffer.Length;

    /// <summary>The next field's number and wire type; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out WireType type)
    {
        field = 0;
        type = WireType.Varint;
        if (AtEnd)
        {
            return false;
        }

        var tag = ReadVarint();
        var number = tag >> 3;
        if (number is 0 or > 536_870_911)
        {
            throw Malformed($"field number {number}");
        }

        field = (int)number;
        type = (WireType)(tag & 7);
        if (type is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
        {
            // 3 and 4 are the deprecated groups, which BuildKit never sends; 6 and 7 do not exist.
            throw Malformed($"wire type {(int)type} for field {field}");
        }

        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (AtEnd)
            {
                throw Malformed("a varint runs past the end of the message");
            }

            var b = _buffer[_position++];
            if (shift == 63 && b > 1)
            {
                throw Malformed("a varint is larger than 64 bits");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Malformed("a varint is longer than ten bytes");
    }

    public long ReadInt64() => unchecked((long)ReadVarint());

    public bool ReadBool() => ReadVarint() != 0;

    /// <summary>A length-delimited field's bytes (a string, bytes or an embedded message), within this buffer.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
        {
            throw Malformed($"a field of {length} bytes runs past the end of the message ({_buffer.Length - _position} left)");
        }

        var value = _buffer.Slice(_position, (int)length);
        _position += (int)length;
        return value;
    }

    /// <summary>Skips a field this reader does not use.</summary>
    public void Skip(WireType type)
    {
        switch (type)
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                Advance(8);
                break;
            case WireType.Fixed32:
                Advance(4);
                break;
            default:
                ReadLengthDelimited();
                break;
        }
    }

    private void Advance(int count)
    {
        if (_buffer.Length - _position < count)
        {
            throw Malformed($"a fixed-size field of {count} bytes runs past the end of the message");
        }

        _position += count;
    }

    private static InvalidDataException Malformed(string what) => new($"Malformed BuildKit trace: {what}.");
}
