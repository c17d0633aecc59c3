using System.Buffers.Binary;

namespace DindBuild.ImageBuild.Session;

/// <summary>What a served method answers: a gRPC status (0 OK), its message, and the response message on success.</summary>
internal sealed record GrpcResult(int Status, string? Message, byte[]? Response)
{
    public const int Ok = 0;
    public const int InvalidArgument = 3;
    public const int NotFound = 5;
    public const int ResourceExhausted = 8;
    public const int Unimplemented = 12;

    public static GrpcResult Success(byte[] response) => new(Ok, null, response);

    public static GrpcResult Fail(int status, string message) => new(status, message, null);
}

/// <summary>gRPC's length-prefixed messages (a compressed flag, a 4-byte big-endian length, the message) and a small protobuf writer.</summary>
internal static class GrpcMessages
{
    public const int PrefixLength = 5;

    /// <summary>The one uncompressed message a unary call's body holds, or an error text for anything else.</summary>
    public static bool TryReadSingle(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> message, out string? problem)
    {
        message = default;
        if (body.Length < PrefixLength)
        {
            problem = $"a request body of {body.Length} bytes, shorter than a message prefix";
            return false;
        }

        if (body[0] != 0)
        {
            problem = "a compressed request message (no grpc-encoding is accepted)";
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
        if (length != body.Length - PrefixLength)
        {
            problem = $"a message of {length} bytes in a body with {body.Length - PrefixLength} after the prefix (one message expected)";
            return false;
        }

        message = body[PrefixLength..];
        problem = null;
        return true;
    }

    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var framed = new byte[PrefixLength + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed.AsSpan(PrefixLength));
        return framed;
    }

    /// <summary>A protobuf message of one length-delimited field (<c>bytes</c>/<c>string</c>).</summary>
    public static byte[] BytesField(int field, ReadOnlySpan<byte> value)
    {
        var output = new List<byte>(value.Length + 12);
        WriteVarint(output, (ulong)(field << 3 | 2));
        WriteVarint(output, (ulong)value.Length);
        output.AddRange(value);
        return [.. output];
    }

    /// <summary>A protobuf message of one varint field (<c>enum</c>, <c>int32</c>).</summary>
    public static byte[] VarintField(int field, ulong value)
    {
        var output = new List<byte>(12);
        WriteVarint(output, (ulong)(field << 3));
        WriteVarint(output, value);
        return [.. output];
    }

    private static void WriteVarint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }
}
