using System.Text;
using DindBuild.Docker;

namespace DindBuild.Tests.Unit;

/// <summary>The raw <c>POST /build</c> stream: each JSON line becomes one message; nothing in it can make the reader throw.</summary>
public sealed class BuildMessageStreamTests
{
    [Fact]
    public async Task Trace_image_id_text_and_error_lines_are_told_apart()
    {
        var trace = Convert.ToBase64String([0x0A, 0x00]);
        var messages = await ReadAsync(
            $"{{\"id\":\"moby.buildkit.trace\",\"aux\":\"{trace}\"}}\r\n" +
            "{\"id\":\"moby.image.id\",\"aux\":{\"ID\":\"sha256:abc\"}}\r\n" +
            "\r\n" +
            "{\"stream\":\"Successfully tagged t:1\\n\"}\r\n" +
            "{\"errorDetail\":{\"message\":\"process did not complete: exit code: 3\"},\"error\":\"ignored when errorDetail has one\"}");

        Assert.Equal(4, messages.Count);
        Assert.Equal([0x0A, 0x00], messages[0].Trace);
        Assert.Equal("sha256:abc", messages[1].ImageId);
        Assert.Equal("Successfully tagged t:1\n", messages[2].Text);
        Assert.Equal("process did not complete: exit code: 3", messages[3].Error);
    }

    [Fact]
    public async Task Lines_that_are_not_JSON_pass_as_text_and_a_trace_that_is_not_base64_is_dropped()
    {
        var messages = await ReadAsync("not json at all\n[1,2]\n{\"id\":\"moby.buildkit.trace\",\"aux\":\"%%%not base64\"}\n{\"stream\":");

        Assert.Equal(["not json at all", "[1,2]", null, "{\"stream\":"], messages.Select(message => message.Text));
        Assert.Null(messages[2].Trace);
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_is_skipped_and_said_so_and_the_next_one_is_read()
    {
        var huge = "{\"stream\":\"" + new string('x', BuildMessageStream.MaxLineBytes + 10) + "\"}\n";
        var messages = await ReadAsync(huge + "{\"stream\":\"after\"}\n");

        Assert.Equal(2, messages.Count);
        Assert.Contains("skipped a build message longer than", messages[0].Text, StringComparison.Ordinal);
        Assert.Equal("after", messages[1].Text);
    }

    private static async Task<List<ProgressMessage>> ReadAsync(string text)
    {
        var messages = new List<ProgressMessage>();
        await BuildMessageStream.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), messages.Add, TestContext.Current.CancellationToken);
        return messages;
    }
}
