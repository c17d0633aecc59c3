using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace DindBuild.Docker;

/// <summary>
/// Reads the JSON messages of <c>POST /build</c> (one per line, as moby's stream formatter writes them) without
/// Docker.DotNet's typed model, which cannot hold BuildKit's trace: its <c>aux</c> is a base64 string there, not an object.
/// </summary>
/// <remarks>
/// The stream comes from a daemon running the build's steps, so it is read defensively: a line longer than
/// <see cref="MaxLineBytes"/> is skipped (and said so), a line that is not JSON is passed on as text, a trace that is
/// not base64 is dropped. Nothing here throws on content; only the transport can fail.
/// </remarks>
internal static class BuildMessageStream
{
    /// <summary>Longer than any message BuildKit sends (its log chunks are kilobytes), small enough to hold.</summary>
    public const int MaxLineBytes = 8 << 20;

    private static readonly ProgressMessage Skipped = new($"(DindBuild skipped a build message longer than {MaxLineBytes >> 20} MiB)", null);

    public static async Task ReadAsync(Stream stream, Action<ProgressMessage> onMessage, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        var skipping = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryTakeLine(ref buffer, out var line))
                {
                    if (skipping)
                    {
                        skipping = false;
                        continue;
                    }

                    if (line.Length > MaxLineBytes)
                    {
                        onMessage(Skipped);
                        continue;
                    }

                    if (Parse(line) is { } message)
                    {
                        onMessage(message);
                    }
                }

                if (buffer.Length > MaxLineBytes)
                {
                    // Drop what is buffered of the oversized line and the rest of it up to its newline.
                    if (!skipping)
                    {
                        onMessage(Skipped);
                    }

                    skipping = true;
                    buffer = buffer.Slice(buffer.End);
                }

                if (result.IsCompleted)
                {
                    if (!skipping && buffer.Length > 0 && Parse(buffer) is { } last)
                    {
                        onMessage(last);
                    }

                    reader.AdvanceTo(buffer.End);
                    return;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One message from one line of JSON; null for a blank line.</summary>
    internal static ProgressMessage? Parse(ReadOnlySequence<byte> line)
    {
        var bytes = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        var trimmed = System.Text.Encoding.UTF8.GetString(bytes).Trim();
        if (trimmed.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(trimmed);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new ProgressMessage(trimmed, null);
            }

            var error = String(root, "errorDetail", "message") ?? String(root, "error");
            var id = String(root, "id");
            var text = String(root, "stream");
            if (root.TryGetProperty("aux", out var aux))
            {
                if (id == "moby.buildkit.trace" && aux.ValueKind == JsonValueKind.String)
                {
                    return new ProgressMessage(text, error) { Trace = Base64(aux.GetString()) };
                }

                if (aux.ValueKind == JsonValueKind.Object && String(aux, "ID") is { } imageId)
                {
                    return new ProgressMessage(text, error) { ImageId = imageId };
                }
            }

            return text is null && error is null ? null : new ProgressMessage(text, error);
        }
        catch (JsonException)
        {
            return new ProgressMessage(trimmed, null);
        }
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } end)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, end);
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return true;
    }

    private static string? String(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }

    private static byte[]? Base64(string? text)
    {
        try
        {
            return text is null ? null : Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
