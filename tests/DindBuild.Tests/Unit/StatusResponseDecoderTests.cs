using DindBuild.ImageBuild.BuildKit;
using static DindBuild.Tests.Infrastructure.ProtoBytes;

namespace DindBuild.Tests.Unit;

/// <summary>BuildKit's trace comes from a daemon running untrusted steps: it is decoded exactly when well formed, and refused — never a crash or a hang — when not.</summary>
public sealed class StatusResponseDecoderTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 0, 0, 250, TimeSpan.Zero);

    [Fact]
    public void A_status_response_decodes_to_its_vertexes_logs_statuses_and_warnings()
    {
        byte[] message =
        [
            .. Vertex("sha256:a", "[build 2/5] RUN dotnet restore", Start, Start.AddSeconds(1.5)),
            .. Vertex("sha256:b", "[build 3/5] COPY . .", cached: true, error: "boom"),
            .. Log("sha256:a", "Restored 3 projects\n", stream: 2),
            .. Status("sha256:c", "layer1", "writing image sha256:abc", Start, total: 2048),
            .. Warning("sha256:d", "FromAsCasing: 'as' and 'FROM' do not match", 7),
            .. VarintField(99, 12345), // an unknown field is skipped
        ];

        var status = StatusResponseDecoder.Decode(message);

        var restore = status.Vertexes[0];
        Assert.Equal(("sha256:a", "[build 2/5] RUN dotnet restore", false, null), (restore.Digest, restore.Name, restore.Cached, restore.Error));
        Assert.Equal(Start, restore.Started);
        Assert.Equal(Start.AddSeconds(1.5), restore.Completed);
        Assert.Equal((true, "boom", (DateTimeOffset?)null), (status.Vertexes[1].Cached, status.Vertexes[1].Error, status.Vertexes[1].Started));
        Assert.Equal(("sha256:a", 2L, "Restored 3 projects\n"), (status.Logs[0].Vertex, status.Logs[0].Stream, System.Text.Encoding.UTF8.GetString(status.Logs[0].Data)));
        Assert.Equal(("layer1", "sha256:c", "writing image sha256:abc", 2048L, (DateTimeOffset?)Start), (status.Statuses[0].Id, status.Statuses[0].Vertex, status.Statuses[0].Name, status.Statuses[0].Total, status.Statuses[0].Completed));
        Assert.Equal(("sha256:d", "FromAsCasing: 'as' and 'FROM' do not match", (int?)7), (status.Warnings[0].Vertex, status.Warnings[0].Short, status.Warnings[0].Line));
    }

    [Fact]
    public void An_empty_message_is_an_empty_status()
    {
        var status = StatusResponseDecoder.Decode([]);

        Assert.Empty(status.Vertexes);
        Assert.Empty(status.Logs);
    }

    [Theory]
    [InlineData("truncated varint", new byte[] { 0x0A, 0x80 })]
    [InlineData("eleven-byte varint", new byte[] { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })]
    [InlineData("varint above 64 bits", new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F })]
    [InlineData("length past the end", new byte[] { 0x0A, 0x05, 0x01, 0x02 })]
    [InlineData("length of 2^63", new byte[] { 0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })]
    [InlineData("field number 0", new byte[] { 0x02, 0x00 })]
    [InlineData("group wire type", new byte[] { 0x0B, 0x0C })]
    [InlineData("wire type 7", new byte[] { 0x0F })]
    [InlineData("truncated fixed64", new byte[] { 0x09, 0x01, 0x02 })]
    [InlineData("vertex with a truncated name", new byte[] { 0x0A, 0x04, 0x1A, 0x09, 0x41, 0x42 })]
    public void Malformed_input_is_refused_with_InvalidDataException(string what, byte[] message)
    {
        var failure = Assert.Throws<InvalidDataException>(() => StatusResponseDecoder.Decode(message));

        Assert.StartsWith("Malformed BuildKit trace", failure.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void A_nested_length_that_overruns_its_parent_is_refused_even_when_the_outer_buffer_has_room()
    {
        // Vertex of 3 bytes claims a name of 9 bytes; 9 bytes do follow, but outside the vertex.
        byte[] message = [0x0A, 0x03, 0x1A, 0x09, 0x41, .. new byte[9]];

        Assert.Throws<InvalidDataException>(() => StatusResponseDecoder.Decode(message));
    }

    [Fact]
    public void A_field_with_an_unexpected_wire_type_is_skipped_not_misread()
    {
        // name (3) sent as a varint, cached (4) as bytes: neither is taken, the digest still is.
        byte[] message = Field(1, [.. Field(1, "sha256:x"), .. VarintField(3, 7), .. Field(4, "yes")]);

        var vertex = Assert.Single(StatusResponseDecoder.Decode(message).Vertexes);

        Assert.Equal(("sha256:x", "", false), (vertex.Digest, vertex.Name, vertex.Cached));
    }

    [Fact]
    public void Timestamps_outside_what_a_date_holds_are_dropped_and_huge_texts_cut()
    {
        var huge = new string('x', StatusResponseDecoder.MaxTextLength * 3);
        byte[] message = Field(1, [.. Field(1, "d"), .. Field(3, huge), .. Field(5, VarintField(1, long.MaxValue)), .. Field(6, [.. VarintField(1, 1), .. VarintField(2, -1)])]);

        var vertex = Assert.Single(StatusResponseDecoder.Decode(message).Vertexes);

        Assert.Null(vertex.Started);
        Assert.Null(vertex.Completed);
        Assert.True(vertex.Name.Length <= StatusResponseDecoder.MaxTextLength + 1, $"{vertex.Name.Length} characters kept");
    }

    [Fact]
    public void Random_and_truncated_input_never_escapes_as_anything_but_InvalidDataException()
    {
        var random = new Random(14);
        byte[] valid = [.. Vertex("sha256:a", "[2/2] RUN true", Start, Start), .. Log("sha256:a", "out\n"), .. Warning("sha256:a", "w", 1)];
        for (var round = 0; round < 5000; round++)
        {
            byte[] input = round % 2 == 0 ? valid[..random.Next(valid.Length)] : RandomBytes(random);
            if (round % 3 == 0 && input.Length > 0)
            {
                input[random.Next(input.Length)] ^= (byte)random.Next(1, 256);
            }

            try
            {
                StatusResponseDecoder.Decode(input);
            }
            catch (InvalidDataException)
            {
                // Refused: the only acceptable failure.
            }
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(64)];
        random.NextBytes(bytes);
        return bytes;
    }
}
