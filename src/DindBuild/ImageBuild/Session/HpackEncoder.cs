using System.Text;

namespace DindBuild.ImageBuild.Session;

/// <summary>
/// HPACK encoding for the few headers the session server sends: every field a literal without indexing with a literal
/// name (RFC 7541 §6.2.2), no Huffman — so no encoder state can disagree with the peer's decoder.
/// </summary>
internal static class HpackEncoder
{
    public static byte[] Encode(IEnumerable<(string Name, string Value)> fields)
    {
        var output = new List<byte>();
        foreach (var (name, value) in fields)
        {
            output.Add(0x00);
            WriteString(output, name);
            WriteString(output, value);
        }

        return [.. output];
    }

    private static void WriteString(List<byte> output, string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        WriteInteger(output, bytes.Length, 7, 0x00);
        output.AddRange(bytes);
    }

    /// <summary>An HPACK integer (RFC 7541 §5.1) with an N-bit prefix, ORed into <paramref name="firstBits"/>.</summary>
    public static void WriteInteger(List<byte> output, int value, int prefixBits, byte firstBits)
    {
        var mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            output.Add((byte)(firstBits | value));
            return;
        }

        output.Add((byte)(firstBits | mask));
        value -= mask;
        while (value >= 0x80)
        {
            output.Add((byte)((value & 0x7f) | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }
}
