namespace DindBuild.ImageBuild.Session;

/// <summary>
/// HPACK's static Huffman code (RFC 7541 §5.2, Appendix B), decoding only. The code is canonical, so the table is
/// just each symbol's code length; the codes follow from it (checked against the RFC's Appendix C vectors in tests).
/// </summary>
internal static class Huffman
{
    private const int Eos = 256;

    // Code length in bits of symbols 0..255 and EOS (256), RFC 7541 Appendix B.
    private static readonly byte[] Lengths = [13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30];

    // Canonical decoding: for each length, the first code and the index of its first symbol in Sorted.
    private static readonly (uint FirstCode, int FirstIndex, int Count)[] ByLength = new (uint, int, int)[31];
    private static readonly int[] Sorted = Build();

    private static int[] Build()
    {
        var sorted = Enumerable.Range(0, Lengths.Length).OrderBy(symbol => Lengths[symbol]).ThenBy(symbol => symbol).ToArray();
        uint code = 0;
        var previousLength = Lengths[sorted[0]];
        for (var i = 0; i < sorted.Length; i++)
        {
            var length = Lengths[sorted[i]];
            if (i > 0)
            {
                code = (code + 1) << (length - previousLength);
            }

            if (ByLength[length].Count == 0)
            {
                ByLength[length] = (code, i, 0);
            }

            ByLength[length].Count++;
            previousLength = length;
        }

        return sorted;
    }

    /// <summary>Decodes <paramref name="input"/>, refusing EOS inside the data, padding over 7 bits or not all ones, and output past <paramref name="maxLength"/>.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> input, int maxLength)
    {
        var output = new List<byte>(Math.Min(maxLength, input.Length * 2));
        uint code = 0;
        var bits = 0;
        foreach (var octet in input)
        {
            for (var shift = 7; shift >= 0; shift--)
            {
                code = (code << 1) | (uint)((octet >> shift) & 1);
                bits++;
                if (bits > 30)
                {
                    throw new Http2ProtocolException(Http2Error.Compression, "a Huffman code longer than 30 bits");
                }

                var (first, index, count) = ByLength[bits];
                if (count == 0 || code < first || code - first >= count)
                {
                    continue;
                }

                var symbol = Sorted[index + (int)(code - first)];
                if (symbol == Eos)
                {
                    throw new Http2ProtocolException(Http2Error.Compression, "the Huffman end-of-string symbol inside a string");
                }

                if (output.Count == maxLength)
                {
                    throw new Http2ProtocolException(Http2Error.Compression, $"a Huffman-coded string longer than {maxLength} bytes");
                }

                output.Add((byte)symbol);
                code = 0;
                bits = 0;
            }
        }

        if (bits > 7 || code != (1u << bits) - 1)
        {
            throw new Http2ProtocolException(Http2Error.Compression, "Huffman padding that is not at most 7 one-bits");
        }

        return [.. output];
    }
}
