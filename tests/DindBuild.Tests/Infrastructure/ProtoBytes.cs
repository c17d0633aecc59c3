using System.Text;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Writes protobuf wire format by hand, to craft BuildKit status messages — well-formed ones and broken ones.</summary>
internal static class ProtoBytes
{
    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }

    public static byte[] Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    public static byte[] Field(int field, byte[] body) => [.. Tag(field, 2), .. Varint((ulong)body.Length), .. body];

    public static byte[] Field(int field, string text) => Field(field, Encoding.UTF8.GetBytes(text));

    public static byte[] VarintField(int field, long value) => [.. Tag(field, 0), .. Varint(unchecked((ulong)value))];

    public static byte[] Timestamp(DateTimeOffset time) =>
        [.. VarintField(1, time.ToUnixTimeSeconds()), .. VarintField(2, (time.Ticks % TimeSpan.TicksPerSecond) * 100)];

    /// <summary>A <c>Vertex</c> inside a <c>StatusResponse</c> (field 1).</summary>
    public static byte[] Vertex(string digest, string name, DateTimeOffset? started = null, DateTimeOffset? completed = null, bool cached = false, string? error = null) =>
        Field(1,
        [
            .. Field(1, digest),
            .. Field(3, name),
            .. cached ? VarintField(4, 1) : [],
            .. started is { } s ? Field(5, Timestamp(s)) : [],
            .. completed is { } c ? Field(6, Timestamp(c)) : [],
            .. error is null ? [] : Field(7, error),
        ]);

    /// <summary>A <c>VertexLog</c> inside a <c>StatusResponse</c> (field 3).</summary>
    public static byte[] Log(string vertex, string text, int stream = 1) =>
        Field(3, [.. Field(1, vertex), .. VarintField(3, stream), .. Field(4, Encoding.UTF8.GetBytes(text))]);

    /// <summary>A <c>VertexStatus</c> inside a <c>StatusResponse</c> (field 2).</summary>
    public static byte[] Status(string vertex, string id, string name, DateTimeOffset completed, long total = 0) =>
        Field(2, [.. Field(1, id), .. Field(2, vertex), .. Field(3, name), .. VarintField(5, total), .. Field(8, Timestamp(completed))]);

    /// <summary>A <c>VertexWarning</c> at a line (ranges[0].start.line) inside a <c>StatusResponse</c> (field 4).</summary>
    public static byte[] Warning(string vertex, string message, int line) =>
        Field(4, [.. Field(1, vertex), .. VarintField(2, 1), .. Field(3, message), .. Field(7, Field(1, VarintField(1, line)))]);
}
