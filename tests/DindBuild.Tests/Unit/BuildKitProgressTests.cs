using System.Text;
using DindBuild.ImageBuild.BuildKit;
using static DindBuild.Tests.Infrastructure.ProtoBytes;

namespace DindBuild.Tests.Unit;

/// <summary>BuildKit's status updates read as <c>docker build --progress=plain</c> does, in bounded memory, with the failing step kept.</summary>
public sealed class BuildKitProgressTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly List<string> _lines = [];
    private readonly List<string> _warnings = [];
    private readonly List<(int, int, string)> _steps = [];

    [Fact]
    public void Steps_are_numbered_as_shown_with_their_output_cached_marks_durations_and_finished_subtasks()
    {
        var progress = NewProgress();
        Observe(progress, [.. Vertex("sha256:from", "[1/3] FROM docker.io/library/alpine:3"), .. Vertex("sha256:run", "[2/3] RUN make")]);
        Observe(progress, [.. Vertex("sha256:from", "[1/3] FROM docker.io/library/alpine:3", T0, T0, cached: true)]);
        Observe(progress, [.. Vertex("sha256:run", "[2/3] RUN make", T0), .. Log("sha256:run", "compiling\nlinking")]);
        Observe(progress, [.. Log("sha256:run", " done\n"), .. Vertex("sha256:run", "[2/3] RUN make", T0, T0.AddSeconds(2.26))]);
        Observe(progress, [.. Vertex("sha256:export", "exporting to image", T0, T0.AddSeconds(0.1)), .. Status("sha256:export", "w", "writing image sha256:1", T0)]);

        Assert.Equal(
            [
                "#1 [1/3] FROM docker.io/library/alpine:3", "#1 CACHED",
                "#2 [2/3] RUN make", "#2 compiling", "#2 linking done", "#2 DONE 2.3s",
                "#3 exporting to image", "#3 writing image sha256:1 done", "#3 DONE 0.1s",
            ],
            _lines);
        Assert.Equal([(1, 3, "[1/3] FROM docker.io/library/alpine:3"), (2, 3, "[2/3] RUN make")], _steps);
        Assert.Equal((1, 1), progress.Counts);
        Assert.Null(progress.Failure);
    }

    [Fact]
    public void The_failing_step_is_kept_with_its_output_tail_and_cancelled_neighbours_are_not_taken_for_it()
    {
        var progress = NewProgress();
        Observe(progress, [.. Vertex("sha256:a", "[a 2/2] RUN sleep 5", T0), .. Vertex("sha256:b", "[b 2/2] RUN ./test.sh", T0)]);
        Observe(progress, [.. Enumerable.Range(1, 30).SelectMany(i => Log("sha256:b", $"line {i}\n"))]);
        Observe(progress, [.. Vertex("sha256:a", "[a 2/2] RUN sleep 5", T0, T0.AddSeconds(1), error: "context canceled")]);
        Observe(progress, [.. Vertex("sha256:b", "[b 2/2] RUN ./test.sh", T0, T0.AddSeconds(1), error: "process \"/bin/sh -c ./test.sh\" did not complete successfully: exit code: 1")]);

        var failure = Assert.IsType<FailedStep>(progress.Failure);
        Assert.Equal("[b 2/2] RUN ./test.sh", failure.Name);
        Assert.Contains("exit code: 1", failure.Error, StringComparison.Ordinal);
        Assert.Equal(BuildKitProgress.TailLines, failure.OutputTail.Count);
        Assert.Equal("line 30", failure.OutputTail[^1]);
        Assert.Contains("#1 ERROR: context canceled", _lines);
    }

    [Fact]
    public void Carriage_returns_keep_what_a_terminal_would_show_and_split_characters_are_joined()
    {
        var progress = NewProgress();
        var euro = Encoding.UTF8.GetBytes("€");
        Observe(progress, [.. Vertex("sha256:a", "[1/1] RUN pip install", T0), .. Log("sha256:a", "10%\r50%\r100%\n")]);
        Observe(progress, Field(3, [.. Field(1, "sha256:a"), .. Field(4, [(byte)'p', euro[0]])]));
        Observe(progress, Field(3, [.. Field(1, "sha256:a"), .. Field(4, [euro[1], euro[2], (byte)'\n'])]));

        Assert.Contains("#1 100%", _lines);
        Assert.Contains("#1 p€", _lines);
        Assert.DoesNotContain(_lines, line => line.Contains("10%", StringComparison.Ordinal));
    }

    [Fact]
    public void An_endless_line_is_cut_and_unfinished_output_is_flushed_at_the_end()
    {
        var progress = NewProgress();
        Observe(progress, [.. Vertex("sha256:a", "[1/1] RUN yes", T0), .. Log("sha256:a", new string('y', BuildKitProgress.MaxLineLength + 5) + "\ntail without newline")]);
        progress.Flush();

        Assert.Equal(BuildKitProgress.MaxLineLength, _lines[1].Length - "#1 ".Length);
        Assert.Equal("#1 yyyyy", _lines[2]);
        Assert.Equal("#1 tail without newline", _lines[^1]);
    }

    [Fact]
    public void No_more_steps_than_the_limit_are_followed_and_warnings_name_their_line_once()
    {
        var progress = NewProgress();
        for (var i = 0; i < BuildKitProgress.MaxVertices + 50; i++)
        {
            Observe(progress, Vertex($"sha256:{i}", $"step {i}", T0));
        }

        Observe(progress, [.. Warning("sha256:0", "JSONArgsRecommended", 4), .. Warning("sha256:0", "JSONArgsRecommended", 4)]);

        Assert.Equal(BuildKitProgress.MaxVertices, _lines.Count);
        Assert.Equal(["WARNING: JSONArgsRecommended (Dockerfile line 4)"], _warnings);
    }

    private BuildKitProgress NewProgress() => new(_lines.Add, _warnings.Add, (number, count, name) => _steps.Add((number, count, name)));

    private static void Observe(BuildKitProgress progress, byte[] message) => progress.Observe(StatusResponseDecoder.Decode(message));
}
