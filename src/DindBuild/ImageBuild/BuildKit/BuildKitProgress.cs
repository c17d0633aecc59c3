using System.Globalization;
using System.Text;

namespace DindBuild.ImageBuild.BuildKit;

/// <summary>The step a BuildKit build failed at: its name as BuildKit gives it, the error and the step's last output lines.</summary>
internal sealed record FailedStep(int Number, string Name, string Error, IReadOnlyList<string> OutputTail);

/// <summary>
/// Turns BuildKit's status updates into the lines <c>docker build --progress=plain</c> prints: <c>#5 [build 2/4] RUN
/// dotnet restore</c> when a step starts, <c>#5 …</c> for each line of its output, then <c>#5 CACHED</c>,
/// <c>#5 DONE 1.2s</c> or <c>#5 ERROR: …</c>; sub-tasks (<c>#9 writing image sha256:… done</c>) when they finish;
/// the frontend's warnings. It remembers the step that failed, with the tail of its output.
/// </summary>
/// <remarks>
/// The text comes from the build's own steps: lines go to <paramref name="line"/> unescaped, and the caller logs them
/// through the console sink, which escapes every value. Memory is bounded whatever the daemon sends: at most
/// <see cref="MaxVertices"/> steps are followed, a line is cut at <see cref="MaxLineLength"/> characters, each step
/// keeps its last <see cref="TailLines"/> lines.
/// </remarks>
internal sealed class BuildKitProgress(Action<string> line, Action<string> warning, Action<int, int, string>? step = null)
{
    public const int MaxVertices = 10_000;
    public const int MaxLineLength = 16 * 1024;
    public const int TailLines = 20;

    private readonly Dictionary<string, Vertex> _vertices = new(StringComparer.Ordinal);
    private readonly HashSet<string> _finishedStatuses = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warnings = new(StringComparer.Ordinal);
    private int _shown;

    /// <summary>The first step that failed other than by cancellation (BuildKit cancels the steps running beside it).</summary>
    public FailedStep? Failure { get; private set; }

    /// <summary>How many of the Dockerfile's steps came from the cache, and how many ran.</summary>
    public (int Cached, int Ran) Counts =>
        (_vertices.Values.Count(v => v.IsDockerfileStep && v.Cached), _vertices.Values.Count(v => v.IsDockerfileStep && v.Done && !v.Cached));

    public void Observe(BuildStatus status)
    {
        // Starts first, so that a step is named before its output; completions last, so that its output and
        // finished sub-tasks come before its DONE line even when one update carries them all.
        foreach (var update in status.Vertexes)
        {
            if (VertexOf(update.Digest) is { } vertex)
            {
                Start(vertex, update);
            }
        }

        foreach (var log in status.Logs)
        {
            if (VertexOf(log.Vertex) is { } vertex)
            {
                Append(Announce(vertex), log.Data);
            }
        }

        foreach (var update in status.Statuses)
        {
            if (update.Completed is not null && VertexOf(update.Vertex) is { } vertex && _finishedStatuses.Count < MaxVertices && _finishedStatuses.Add(update.Vertex + "\n" + update.Id))
            {
                var size = update.Total > 0 ? string.Create(CultureInfo.InvariantCulture, $" {update.Total / 1048576.0:0.0} MiB") : "";
                line($"#{Announce(vertex).Number} {Cut(update.Name.Length > 0 ? update.Name : update.Id)}{size} done");
            }
        }

        foreach (var update in status.Vertexes)
        {
            if (VertexOf(update.Digest) is { } vertex)
            {
                Complete(vertex, update);
            }
        }

        foreach (var found in status.Warnings)
        {
            var where = found.Line is { } at ? $" (Dockerfile line {at})" : "";
            var text = $"WARNING: {Cut(found.Short)}{where}{(found.Url is { } url ? $" — {Cut(url)}" : "")}";
            if (_warnings.Count < MaxVertices && _warnings.Add(text))
            {
                warning(text);
            }
        }
    }

    /// <summary>Prints what is left of unfinished output lines (a step's last line without a newline).</summary>
    public void Flush()
    {
        foreach (var vertex in _vertices.Values.Where(v => v.Number > 0).OrderBy(v => v.Number))
        {
            FlushPartial(vertex);
        }
    }

    private Vertex? VertexOf(string digest)
    {
        if (_vertices.TryGetValue(digest, out var vertex))
        {
            return vertex;
        }

        if (_vertices.Count >= MaxVertices)
        {
            return null;
        }

        vertex = new Vertex();
        _vertices[digest] = vertex;
        return vertex;
    }

    private void Start(Vertex vertex, BuildVertex update)
    {
        if (update.Name.Length > 0)
        {
            vertex.Name = Cut(update.Name);
        }

        vertex.Started ??= update.Started;
        if (update.Started is not null || update.Cached || update.Completed is not null)
        {
            Announce(vertex);
        }

        if (update.Cached && !vertex.Cached && !vertex.Done)
        {
            vertex.Cached = true;
            line($"#{vertex.Number} CACHED");
        }
    }

    /// <summary>Numbers a step when it is first shown (as buildx does), so the numbers in the log count up.</summary>
    private Vertex Announce(Vertex vertex)
    {
        if (vertex.Number == 0)
        {
            vertex.Number = ++_shown;
            line($"#{vertex.Number} {vertex.Name}");
            if (VertexLocator.Parse(vertex.Name) is { } parsed)
            {
                vertex.IsDockerfileStep = true;
                step?.Invoke(parsed.Number, parsed.Count, vertex.Name);
            }
        }

        return vertex;
    }

    private void Complete(Vertex vertex, BuildVertex update)
    {
        if (update.Completed is not { } completed || vertex.Done)
        {
            return;
        }

        vertex.Done = true;
        FlushPartial(vertex);
        if (update.Error is { } error)
        {
            line($"#{vertex.Number} ERROR: {Cut(error)}");
            if (Failure is null && !IsCancellation(error))
            {
                Failure = new FailedStep(vertex.Number, vertex.Name, Cut(error), [.. vertex.Tail]);
            }
        }
        else if (!vertex.Cached)
        {
            var seconds = vertex.Started is { } started ? Math.Max(0, (completed - started).TotalSeconds) : 0;
            line(string.Create(CultureInfo.InvariantCulture, $"#{vertex.Number} DONE {seconds:0.0}s"));
        }
    }

    private void Append(Vertex vertex, byte[] data)
    {
        // A multi-byte character can be split between two log messages; the decoder keeps the first half.
        var chars = new char[vertex.Decoder.GetCharCount(data, flush: false)];
        vertex.Decoder.GetChars(data, chars, flush: false);
        foreach (var c in chars)
        {
            if (c == '\n')
            {
                EmitLine(vertex);
            }
            else if (c == '\r')
            {
                // A terminal shows what follows a carriage return over what preceded it (progress bars).
                vertex.CarriageReturn = true;
            }
            else
            {
                if (vertex.CarriageReturn)
                {
                    vertex.Partial.Clear();
                    vertex.CarriageReturn = false;
                }

                vertex.Partial.Append(c);
                if (vertex.Partial.Length >= MaxLineLength)
                {
                    EmitLine(vertex);
                }
            }
        }
    }

    private void FlushPartial(Vertex vertex)
    {
        if (vertex.Partial.Length > 0)
        {
            EmitLine(vertex);
        }
    }

    private void EmitLine(Vertex vertex)
    {
        var text = vertex.Partial.ToString();
        vertex.Partial.Clear();
        vertex.CarriageReturn = false;
        vertex.Tail.Enqueue(text);
        if (vertex.Tail.Count > TailLines)
        {
            vertex.Tail.Dequeue();
        }

        line($"#{vertex.Number} {text}");
    }

    private static bool IsCancellation(string error) =>
        error.Equals("context canceled", StringComparison.Ordinal) || error.EndsWith(": context canceled", StringComparison.Ordinal) || error == "canceled";

    private static string Cut(string text) => text.Length > MaxLineLength ? text[..MaxLineLength] + "…" : text;

    private sealed class Vertex
    {
        /// <summary>0 until the step is shown.</summary>
        public int Number { get; set; }

        public string Name { get; set; } = "";

        public bool IsDockerfileStep { get; set; }

        public DateTimeOffset? Started { get; set; }

        public bool Cached { get; set; }

        public bool Done { get; set; }

        public bool CarriageReturn { get; set; }

        public StringBuilder Partial { get; } = new();

        public Queue<string> Tail { get; } = new();

        public Decoder Decoder { get; } = new UTF8Encoding(false, false).GetDecoder();
    }
}
