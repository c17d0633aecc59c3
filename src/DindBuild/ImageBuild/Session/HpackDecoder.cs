using System.Text;

namespace DindBuild.ImageBuild.Session;

/// <summary>
/// HPACK header-block decoding (RFC 7541) for one connection: static and dynamic table, Huffman strings. Bounded for
/// a hostile peer: the dynamic table never exceeds the 4096 bytes advertised, a string never exceeds the header list
/// limit, and a block's decoded size (RFC 9113's name + value + 32 per field) never exceeds it either.
/// </summary>
internal sealed class HpackDecoder(int maxHeaderListSize)
{
    /// <summary>SETTINGS_HEADER_TABLE_SIZE's initial value, which the session server never raises.</summary>
    public const int MaxTableSize = 4096;

    private readonly LinkedList<(string Name, string Value)> _dynamic = new();
    private int _tableSize;
    private int _tableLimit = MaxTableSize;

    /// <summary>Entries in the dynamic table (newest first), for tests.</summary>
    public IReadOnlyCollection<(string Name, string Value)> DynamicTable => _dynamic;

    public int DynamicTableSize => _tableSize;

    public List<(string Name, string Value)> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<(string, string)>();
        var listSize = 0;
        var position = 0;
        var fieldSeen = false;
        while (position < block.Length)
        {
            var first = block[position];
            (string Name, string Value) field;
            if ((first & 0x80) != 0)
            {
                field = Entry(ReadInteger(block, ref position, 7));
            }
            else if ((first & 0xc0) == 0x40)
            {
                field = ReadLiteral(block, ref position, 6);
                Add(field);
            }
            else if ((first & 0xe0) == 0x20)
            {
                // A size update is only allowed at the start of a block (RFC 7541 §4.2).
                if (fieldSeen)
                {
                    throw new Http2ProtocolException(Http2Error.Compression, "a dynamic table size update after a header field");
                }

                var size = ReadInteger(block, ref position, 5);
                if (size > MaxTableSize)
                {
                    throw new Http2ProtocolException(Http2Error.Compression, $"a dynamic table size of {size}, over the {MaxTableSize} allowed");
                }

                _tableLimit = size;
                Evict(0);
                continue;
            }
            else
            {
                // Literal without indexing (0000xxxx) or never indexed (0001xxxx).
                field = ReadLiteral(block, ref position, 4);
            }

            fieldSeen = true;
            listSize += field.Name.Length + field.Value.Length + 32;
            if (listSize > maxHeaderListSize)
            {
                throw new Http2ProtocolException(Http2Error.Compression, $"a header list over the {maxHeaderListSize} bytes allowed");
            }

            fields.Add(field);
        }

        return fields;
    }

    private (string Name, string Value) Entry(int index)
    {
        if (index >= 1 && index <= HpackStaticTable.Entries.Length)
        {
            return HpackStaticTable.Entries[index - 1];
        }

        var dynamicIndex = index - HpackStaticTable.Entries.Length - 1;
        if (index == 0 || dynamicIndex >= _dynamic.Count)
        {
            throw new Http2ProtocolException(Http2Error.Compression, $"header table index {index}, with {HpackStaticTable.Entries.Length} static and {_dynamic.Count} dynamic entries");
        }

        return _dynamic.ElementAt(dynamicIndex);
    }

    private (string Name, string Value) ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var index = ReadInteger(block, ref position, prefixBits);
        var name = index == 0 ? ReadString(block, ref position) : Entry(index).Name;
        return (name, ReadString(block, ref position));
    }

    private string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw new Http2ProtocolException(Http2Error.Compression, "a header block that ends before a string");
        }

        var huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new Http2ProtocolException(Http2Error.Compression, $"a string of {length} bytes with {block.Length - position} left in the block");
        }

        var raw = block.Slice(position, length);
        position += length;
        return Encoding.Latin1.GetString(huffman ? Huffman.Decode(raw, maxHeaderListSize) : raw);
    }

    /// <summary>An HPACK integer (RFC 7541 §5.1) with an N-bit prefix; at most 2^28, far above any limit here.</summary>
    public static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        if (position >= block.Length)
        {
            throw new Http2ProtocolException(Http2Error.Compression, "a header block that ends before an integer");
        }

        var mask = (1 << prefixBits) - 1;
        var value = block[position++] & mask;
        if (value < mask)
        {
            return value;
        }

        for (var shift = 0; ; shift += 7)
        {
            if (position >= block.Length || shift > 21)
            {
                throw new Http2ProtocolException(Http2Error.Compression, "an integer that is truncated or over 2^28");
            }

            var octet = block[position++];
            value += (octet & 0x7f) << shift;
            if ((octet & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private void Add((string Name, string Value) field)
    {
        var size = field.Name.Length + field.Value.Length + 32;
        Evict(size);
        if (size <= _tableLimit)
        {
            _dynamic.AddFirst(field);
            _tableSize += size;
        }
    }

    private void Evict(int room)
    {
        while (_dynamic.Count > 0 && _tableSize + room > _tableLimit)
        {
            var last = _dynamic.Last!.Value;
            _tableSize -= last.Name.Length + last.Value.Length + 32;
            _dynamic.RemoveLast();
        }
    }
}
