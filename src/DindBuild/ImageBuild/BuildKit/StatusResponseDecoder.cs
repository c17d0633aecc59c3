namespace DindBuild.ImageBuild.BuildKit;

/// <summary>
/// Decodes the protobuf of a <c>moby.buildkit.trace</c> message: the fields of moby's
/// <c>api/services/control/control.proto</c> a person needs to follow a build (numbers as published there).
/// </summary>
/// <remarks>
/// <code>
/// StatusResponse { repeated Vertex vertexes = 1; repeated VertexStatus statuses = 2; repeated VertexLog logs = 3; repeated VertexWarning warnings = 4; }
/// Vertex { string digest = 1; repeated string inputs = 2; string name = 3; bool cached = 4; Timestamp started = 5; Timestamp completed = 6; string error = 7; }
/// VertexStatus { string ID = 1; string vertex = 2; string name = 3; int64 current = 4; int64 total = 5; Timestamp timestamp = 6; Timestamp started = 7; Timestamp completed = 8; }
/// VertexLog { string vertex = 1; Timestamp timestamp = 2; int64 stream = 3; bytes msg = 4; }
/// VertexWarning { string vertex = 1; int64 level = 2; bytes short = 3; repeated bytes detail = 4; string url = 5; pb.SourceInfo info = 6; repeated pb.Range ranges = 7; }
/// pb.Range { Position start = 1; Position end = 2; }  Position { int32 line = 1; int32 character = 2; }
/// google.protobuf.Timestamp { int64 seconds = 1; int32 nanos = 2; }
/// </code>
/// Fields it does not use are skipped; a field sent with another wire type than the schema's is skipped too.
/// Malformed input throws <see cref="InvalidDataException"/> (see <see cref="ProtoReader"/>).
/// </remarks>
internal static class StatusResponseDecoder
{
    /// <summary>Longest text kept of a name, error or warning: a step's command line can be long, but not megabytes.</summary>
    internal const int MaxTextLength = 8192;

    public static BuildStatus Decode(ReadOnlySpan<byte> message)
    {
        var vertexes = new List<BuildVertex>();
        var statuses = new List<BuildVertexStatus>();
        var logs = new List<BuildVertexLog>();
        var warnings = new List<BuildWarning>();
        var reader = new ProtoReader(message);
        while (reader.TryReadTag(out var field, out var type))
        {
            if (type != ProtoReader.WireType.LengthDelimited)
            {
                reader.Skip(type);
                continue;
            }

            var body = reader.ReadLengthDelimited();
            switch (field)
            {
                case 1:
                    vertexes.Add(Vertex(body));
                    break;
                case 2:
                    statuses.Add(Status(body));
                    break;
                case 3:
                    logs.Add(Log(body));
                    break;
                case 4:
                    warnings.Add(Warning(body));
                    break;
            }
        }

        return new BuildStatus(vertexes, statuses, logs, warnings);
    }

    private static BuildVertex Vertex(ReadOnlySpan<byte> body)
    {
        string digest = "", name = "";
        string? error = null;
        var cached = false;
        DateTimeOffset? started = null, completed = null;
        var reader = new ProtoReader(body);
        while (reader.TryReadTag(out var field, out var type))
        {
            switch (field, type)
            {
                case (1, ProtoReader.WireType.LengthDelimited):
                    digest = Text(ref reader);
                    break;
                case (3, ProtoReader.WireType.LengthDelimited):
                    name = Text(ref reader);
                    break;
                case (4, ProtoReader.WireType.Varint):
                    cached = reader.ReadBool();
                    break;
                case (5, ProtoReader.WireType.LengthDelimited):
                    started = Timestamp(reader.ReadLengthDelimited());
                    break;
                case (6, ProtoReader.WireType.LengthDelimited):
                    completed = Timestamp(reader.ReadLengthDelimited());
                    break;
                case (7, ProtoReader.WireType.LengthDelimited):
                    error = Text(ref reader);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        return new BuildVertex(digest, name, cached, started, completed, string.IsNullOrEmpty(error) ? null : error);
    }

    private static BuildVertexStatus Status(ReadOnlySpan<byte> body)
    {
        string id = "", vertex = "", name = "";
        long current = 0, total = 0;
        DateTimeOffset? completed = null;
        var reader = new ProtoReader(body);
        while (reader.TryReadTag(out var field, out var type))
        {
            switch (field, type)
            {
                case (1, ProtoReader.WireType.LengthDelimited):
                    id = Text(ref reader);
                    break;
                case (2, ProtoReader.WireType.LengthDelimited):
                    vertex = Text(ref reader);
                    break;
                case (3, ProtoReader.WireType.LengthDelimited):
                    name = Text(ref reader);
                    break;
                case (4, ProtoReader.WireType.Varint):
                    current = reader.ReadInt64();
                    break;
                case (5, ProtoReader.WireType.Varint):
                    total = reader.ReadInt64();
                    break;
                case (8, ProtoReader.WireType.LengthDelimited):
                    completed = Timestamp(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        return new BuildVertexStatus(id, vertex, name, current, total, completed);
    }

    private static BuildVertexLog Log(ReadOnlySpan<byte> body)
    {
        var vertex = "";
        long stream = 0;
        var data = Array.Empty<byte>();
        var reader = new ProtoReader(body);
        while (reader.TryReadTag(out var field, out var type))
        {
            switch (field, type)
            {
                case (1, ProtoReader.WireType.LengthDelimited):
                    vertex = Text(ref reader);
                    break;
                case (3, ProtoReader.WireType.Varint):
                    stream = reader.ReadInt64();
                    break;
                case (4, ProtoReader.WireType.LengthDelimited):
                    data = reader.ReadLengthDelimited().ToArray();
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        return new BuildVertexLog(vertex, stream, data);
    }

    private static BuildWarning Warning(ReadOnlySpan<byte> body)
    {
        string vertex = "", message = "";
        string? url = null;
        int? line = null;
        var reader = new ProtoReader(body);
        while (reader.TryReadTag(out var field, out var type))
        {
            switch (field, type)
            {
                case (1, ProtoReader.WireType.LengthDelimited):
                    vertex = Text(ref reader);
                    break;
                case (3, ProtoReader.WireType.LengthDelimited):
                    message = Text(ref reader);
                    break;
                case (5, ProtoReader.WireType.LengthDelimited):
                    url = Text(ref reader);
                    break;
                case (7, ProtoReader.WireType.LengthDelimited):
                    line ??= StartLine(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        return new BuildWarning(vertex, message, string.IsNullOrEmpty(url) ? null : url, line);
    }

    /// <summary>The line of a <c>pb.Range</c>'s start position; null when it has none.</summary>
    private static int? StartLine(ReadOnlySpan<byte> range)
    {
        var reader = new ProtoReader(range);
        while (reader.TryReadTag(out var field, out var type))
        {
            if (field == 1 && type == ProtoReader.WireType.LengthDelimited)
            {
                var position = new ProtoReader(reader.ReadLengthDelimited());
                while (position.TryReadTag(out var positionField, out var positionType))
                {
                    if (positionField == 1 && positionType == ProtoReader.WireType.Varint)
                    {
                        var line = position.ReadInt64();
                        return line is > 0 and <= int.MaxValue ? (int)line : null;
                    }

                    position.Skip(positionType);
                }

                return null;
            }

            reader.Skip(type);
        }

        return null;
    }

    /// <summary>A <c>google.protobuf.Timestamp</c>; null when it is outside what a date can hold.</summary>
    private static DateTimeOffset? Timestamp(ReadOnlySpan<byte> body)
    {
        long seconds = 0, nanos = 0;
        var reader = new ProtoReader(body);
        while (reader.TryReadTag(out var field, out var type))
        {
            switch (field, type)
            {
                case (1, ProtoReader.WireType.Varint):
                    seconds = reader.ReadInt64();
                    break;
                case (2, ProtoReader.WireType.Varint):
                    nanos = reader.ReadInt64();
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        const long MinSeconds = -62_135_596_800, MaxSeconds = 253_402_300_799;
        if (seconds is < MinSeconds or > MaxSeconds || nanos is < 0 or > 999_999_999)
        {
            return null;
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
    }

    private static string Text(ref ProtoReader reader)
    {
        var bytes = reader.ReadLengthDelimited();
        var text = System.Text.Encoding.UTF8.GetString(bytes.Length > MaxTextLength * 4 ? bytes[..(MaxTextLength * 4)] : bytes);
        return text.Length > MaxTextLength ? text[..MaxTextLength] + "…" : text;
    }
}
