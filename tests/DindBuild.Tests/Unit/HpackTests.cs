using DindBuild.ImageBuild.Session;

namespace DindBuild.Tests.Unit;

/// <summary>The HPACK decoder against RFC 7541 Appendix C's vectors (each sequence decoded by one decoder, so the dynamic table carries over), and its limits.</summary>
public sealed class HpackTests
{
    [Fact]
    public void C3_requests_without_Huffman_decode_and_fill_the_dynamic_table_as_the_RFC_shows()
    {
        var decoder = new HpackDecoder(16384);

        var first = decoder.Decode(Convert.FromHexString("828684410f7777772e6578616d706c652e636f6d"));
        var second = decoder.Decode(Convert.FromHexString("828684be58086e6f2d6361636865"));
        var third = decoder.Decode(Convert.FromHexString("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565"));

        Assert.Equal([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")], first);
        Assert.Equal([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")], second);
        Assert.Equal([(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")], third);
        Assert.Equal([("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com")], decoder.DynamicTable);
        Assert.Equal(164, decoder.DynamicTableSize);
    }

    [Fact]
    public void C4_requests_with_Huffman_decode_as_the_RFC_shows()
    {
        var decoder = new HpackDecoder(16384);

        var first = decoder.Decode(Convert.FromHexString("828684418cf1e3c2e5f23a6ba0ab90f4ff"));
        var second = decoder.Decode(Convert.FromHexString("828684be5886a8eb10649cbf"));
        var third = decoder.Decode(Convert.FromHexString("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"));

        Assert.Equal((":authority", "www.example.com"), first[3]);
        Assert.Equal(("cache-control", "no-cache"), second[4]);
        Assert.Equal(("custom-key", "custom-value"), third[4]);
        Assert.Equal(164, decoder.DynamicTableSize);
    }

    [Fact]
    public void C6_responses_with_Huffman_evict_from_a_256_byte_table_as_the_RFC_shows()
    {
        var decoder = new HpackDecoder(16384);

        // The RFC's table limit is 256: a size update at the start of the first block sets it.
        var first = decoder.Decode(Convert.FromHexString("3fe101" + "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3"));
        var second = decoder.Decode(Convert.FromHexString("4883640effc1c0bf"));
        var third = decoder.Decode(Convert.FromHexString("88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007"));

        Assert.Equal([(":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")], first);
        Assert.Equal((":status", "307"), second[0]);
        Assert.Equal(("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"), third[5]);
        Assert.Equal(("content-encoding", "gzip"), third[4]);
        Assert.Equal(215, decoder.DynamicTableSize);
    }

    [Theory]
    [InlineData("bf", "index 63")] // past the static table, with an empty dynamic table
    [InlineData("80", "index 0")]
    [InlineData("400a6375", "string of 10 bytes")] // a name longer than the block
    [InlineData("3fe21f", "dynamic table size")] // a size update to 4097
    [InlineData("82" + "20", "after a header field")] // a size update after a field
    [InlineData("4081fe0161", "Huffman padding")] // padding that is not all ones
    [InlineData("ffffffffff7f", "integer")] // an integer over 2^28
    public void Malformed_blocks_are_compression_errors(string hex, string what)
    {
        var error = Assert.Throws<Http2ProtocolException>(() => new HpackDecoder(16384).Decode(Convert.FromHexString(hex)));

        Assert.Equal(Http2Error.Compression, error.Error);
        Assert.Contains(what, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_header_list_over_the_limit_is_refused()
    {
        var encoded = HpackEncoder.Encode([("a", new string('x', 100)), ("b", new string('y', 100))]);

        var error = Assert.Throws<Http2ProtocolException>(() => new HpackDecoder(200).Decode(encoded));

        Assert.Contains("header list over the 200 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_literal_only_encoder_round_trips_through_the_decoder_and_never_touches_the_dynamic_table()
    {
        List<(string, string)> fields = [(":status", "200"), ("content-type", "application/grpc"), ("grpc-message", new string('m', 300))];
        var decoder = new HpackDecoder(16384);

        Assert.Equal(fields, decoder.Decode(HpackEncoder.Encode(fields)));
        Assert.Equal(0, decoder.DynamicTableSize);
    }
}
