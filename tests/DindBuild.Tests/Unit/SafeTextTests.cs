using DindBuild.Diagnostics;

namespace DindBuild.Tests.Unit;

/// <summary>The one escaping of text from inside a container (<see cref="SafeText"/>).</summary>
public sealed class SafeTextTests
{
    /// <summary>What a test wrote as an artifact name in issue 12: a forged log line and a GitHub workflow command.</summary>
    internal const string ForgedName = "x\n[12:00:00 INF] Tests passed\r\n::warning title=forged::pwned\u001b[2K\u2028\u2029end";

    [Theory]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("a\rb", "a\\rb")]
    [InlineData("a\tb", "a\\tb")]
    [InlineData("a\u001b[31mb", "a\\x1B[31mb")]
    [InlineData("a\u0000b\u007fc", "a\\x00b\\x7Fc")]
    [InlineData("a\u0085b\u009bc", "a\\x85b\\x9Bc")]
    [InlineData("a\u2028b\u2029c", "a\\u2028b\\u2029c")]
    [InlineData("evil\u202Etxt.exe", "evil\\u202Etxt.exe")]
    [InlineData("a\u2066b\u2069c\u200e\u200f\u061c", "a\\u2066b\\u2069c\\u200E\\u200F\\u061C")]
    public void Control_characters_line_breaks_and_bidi_controls_become_visible_escapes(string text, string expected)
    {
        Assert.Equal(expected, SafeText.Escape(text));
    }

    [Fact]
    public void A_lone_surrogate_is_escaped_and_a_pair_is_kept()
    {
        // Not in [InlineData]: attribute strings are stored as UTF-8, which cannot hold a lone surrogate.
        Assert.Equal("lone \\uD800 and \\uDC00 🐳", SafeText.Escape("lone \ud800 and \udc00 \ud83d\udc33"));
    }

    [Fact]
    public void Text_that_needs_nothing_comes_back_as_the_same_instance_and_keeps_its_emoji()
    {
        var text = "junit.xml ✅ 🐳 C:\\path with spaces";

        Assert.Same(text, SafeText.Escape(text));
    }

    [Fact]
    public void A_forged_name_stays_one_line_and_starts_no_workflow_command()
    {
        var escaped = SafeText.Escape(ForgedName);

        Assert.Equal("x\\n[12:00:00 INF] Tests passed\\r\\n::warning title=forged::pwned\\x1B[2K\\u2028\\u2029end", escaped);
        Assert.DoesNotContain(escaped, c => SafeText.IsUnsafe(c));
    }

    [Theory]
    [InlineData("::warning title=forged::x", "\\x3A:warning title=forged::x")]
    [InlineData("   ::error::x", "   \\x3A:error::x")]
    [InlineData("test output ##[warning]forged", "test output ##\\x5Bwarning]forged")]
    [InlineData("ok :: not at the start", "ok :: not at the start")]
    public void GitHub_workflow_commands_are_defused_where_the_runner_would_see_them(string text, string expected)
    {
        Assert.Equal(expected, SafeText.Escape(text));
    }

    [Fact]
    public void Escaping_twice_changes_nothing_more()
    {
        var once = SafeText.Escape(ForgedName + " ##[error] \u001b");

        Assert.Equal(once, SafeText.Escape(once));
        Assert.Equal(SafeText.Escape("::x::y"), SafeText.Escape(SafeText.Escape("::x::y")));
    }

    [Fact]
    public void Lines_keeps_the_lines_and_escapes_each_one()
    {
        var tail = "daemon started\r\n::warning title=forged::x\nprogress 10%\rprogress 20%\n\u001b[2Kcleared";

        var lines = SafeText.Lines(tail).Split('\n');

        Assert.Equal(["daemon started", "\\x3A:warning title=forged::x", "progress 10%\\rprogress 20%", "\\x1B[2Kcleared"], lines);
    }

    [Fact]
    public void A_long_name_is_shortened_to_its_start_and_end_and_says_how_much_is_left_out()
    {
        var name = "start-" + new string('x', 3900) + "-end";

        var shown = SafeText.Name(name);

        Assert.True(shown.Length <= SafeText.NameDisplayLength + 40, shown);
        Assert.StartsWith("start-", shown, StringComparison.Ordinal);
        Assert.EndsWith("-end", shown, StringComparison.Ordinal);
        Assert.Contains("more characters]", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Shortening_never_splits_a_surrogate_pair()
    {
        var name = string.Concat(Enumerable.Repeat("🐳", 400));

        var shown = SafeText.Name(name);

        Assert.Same(shown, SafeText.Escape(shown));
        Assert.DoesNotContain("\\uD", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_and_empty_are_empty()
    {
        Assert.Equal("", SafeText.Escape(null));
        Assert.Equal("", SafeText.Lines(""));
        Assert.Equal("", SafeText.Name(null));
    }
}
