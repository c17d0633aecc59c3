using DindBuild.ImageBuild;

namespace DindBuild.Tests.Unit;

/// <summary>The glob syntax of one pattern (<c>IgnorePattern</c>), checked through <see cref="DockerIgnore.Parse"/> as docker reads it.</summary>
public sealed class IgnorePatternTests
{
    [Theory]
    [InlineData("app.log", true)]
    [InlineData(".log", true)]
    [InlineData("app.log/inner.txt", true)]
    [InlineData("logs/app.log", false)] // '*' never crosses '/', and patterns are anchored at the root.
    [InlineData("app.log.txt", false)]
    [InlineData("app.txt", false)]
    public void Star_matches_within_one_path_segment(string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse("*.log").IsExcluded(path));
    }

    [Theory]
    [InlineData("obj", true)]
    [InlineData("src/obj", true)]
    [InlineData("src/app/obj/Debug/app.dll", true)]
    [InlineData("objects", false)]
    [InlineData("src/myobj", false)]
    [InlineData("src/obj.txt", false)]
    public void Double_star_matches_any_number_of_directories_including_none(string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse("**/obj").IsExcluded(path));
    }

    [Theory]
    [InlineData("a/b", true)]
    [InlineData("a/x/b", true)]
    [InlineData("a/x/y/b/c.txt", true)]
    [InlineData("a/xb", false)]
    [InlineData("b", false)]
    public void Double_star_in_the_middle_spans_directories(string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse("a/**/b").IsExcluded(path));
    }

    [Fact]
    public void Trailing_double_star_matches_everything_below_but_not_the_directory_itself()
    {
        var ignore = DockerIgnore.Parse("logs/**");

        Assert.True(ignore.IsExcluded("logs/today.txt"));
        Assert.True(ignore.IsExcluded("logs/2024/01/day.txt"));
        Assert.False(ignore.IsExcluded("logs"));
    }

    [Theory]
    [InlineData("file1.txt", true)]
    [InlineData("fileA.txt", true)]
    [InlineData("file.txt", false)]
    [InlineData("file10.txt", false)]
    [InlineData("file/.txt", false)]
    public void Question_mark_matches_exactly_one_non_separator_character(string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse("file?.txt").IsExcluded(path));
    }

    [Theory]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[a-c]x", "dx", false)]
    [InlineData("[abc]x", "cx", true)]
    [InlineData("[abc]x", "Ax", false)]
    [InlineData("[^a]x", "bx", true)]
    [InlineData("[^a]x", "ax", false)]
    [InlineData("v[0-9][0-9]", "v42", true)]
    [InlineData("v[0-9][0-9]", "v4x", false)]
    [InlineData("[\\]]x", "]x", true)]
    [InlineData("[\\-]x", "-x", true)]
    // Like moby (Go regexp), '!' does not negate a class: it is one of the class's characters.
    [InlineData("[!a]x", "!x", true)]
    [InlineData("[!a]x", "ax", true)]
    [InlineData("[!a]x", "bx", false)]
    public void Character_classes_support_ranges_and_caret_negation(string pattern, string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));
    }

    [Theory]
    [InlineData("\\*.txt", "*.txt", true)]
    [InlineData("\\*.txt", "a.txt", false)]
    [InlineData("what\\?", "what?", true)]
    [InlineData("what\\?", "whatx", false)]
    [InlineData("\\[draft\\]", "[draft]", true)]
    [InlineData("\\[draft\\]", "d", false)]
    [InlineData("back\\\\slash", "back\\slash", true)]
    [InlineData("\\!important", "!important", true)]
    public void Backslash_escapes_the_next_character(string pattern, string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));
    }

    [Fact]
    public void Regex_metacharacters_in_patterns_are_literal()
    {
        var ignore = DockerIgnore.Parse("a.b+c(d)|e{1}$*");

        Assert.True(ignore.IsExcluded("a.b+c(d)|e{1}$tail"));
        Assert.False(ignore.IsExcluded("aXb+c(d)|e{1}$tail"));
    }

    // Cases from moby/patternmatcher's own TestMatches and TestMatch tables (MatchesOrParentMatches results),
    // including moby quirks such as "**file" also matching "dir/file".
    [Theory]
    [InlineData("**", "file", true)]
    [InlineData("**", "dir/file", true)]
    [InlineData("**/", "file", true)]
    [InlineData("**/**", "dir/file", true)]
    [InlineData("dir/**", "dir/dir2/file", true)]
    [InlineData("**/dir", "dir/file", true)]
    [InlineData("**/dir2/*", "dir/dir2/file", true)]
    [InlineData("**/dir2/**", "dir/dir2/dir3/file", true)]
    [InlineData("**file", "dir/dir/file", true)]
    [InlineData("**/file*", "dir/dir/file.txt", true)]
    [InlineData("**/file*.txt*", "dir/dir/file.txt", true)]
    [InlineData("**/**/*.txt", "file.txt", true)]
    [InlineData("**/**/*.txt2", "dir/dir/file.txt", false)]
    [InlineData("a**/*.txt", "a/dir/dir/file.txt", true)]
    [InlineData("a/*.txt", "a/dir/file.txt", false)]
    [InlineData("a/*.txt**", "a/file.txt", true)]
    [InlineData("a[b-d]e", "ae", false)]
    [InlineData("a[^b-d]e", "aze", true)]
    [InlineData(".*", ".foo", true)]
    [InlineData(".*", "foo", false)]
    [InlineData("abc.def", "abcZdef", false)]
    [InlineData("**/foo/bar", "foo/bar", true)]
    [InlineData("abc/**", "abc", false)]
    [InlineData("**/.foo", "bar.foo", false)]
    [InlineData("a.|)$(}+{bc", "a.|)$(}+{bc", true)]
    [InlineData("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true)]
    [InlineData("a\\\\", "a\\", true)]
    [InlineData("a*", "ab/c", true)]
    [InlineData("a*/b", "a/c/b", false)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxexxx/f", true)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false)]
    [InlineData("a*b?c*x", "abxbbxdbxebxczzx", true)]
    [InlineData("a*b?c*x", "abxbbxdbxebxczzy", false)]
    [InlineData("ab[^e-g]", "abc", true)]
    [InlineData("a?b", "a\u263Ab", true)]
    [InlineData("a???b", "a\u263Ab", false)]
    [InlineData("[a-\u03B6]*", "\u03B1", true)]
    [InlineData("*[a-\u03B6]", "A", false)]
    [InlineData("[x\\-]", "-", true)]
    [InlineData("[x\\-]", "z", false)]
    [InlineData("*x", "xxx", true)]
    public void Matches_like_moby_patternmatcher(string pattern, string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));
    }

    [Theory]
    [InlineData("[abc")]
    [InlineData("[^")]
    [InlineData("[-x]")]
    [InlineData("[a-b-c]")]
    [InlineData("[Local-Only]/")]
    [InlineData("[]")]
    [InlineData("[a-]")]
    [InlineData("[z-a]")]
    [InlineData("trailing\\")]
    [InlineData("!")]
    [InlineData("! ")]
    public void Malformed_patterns_are_rejected_with_the_line_number(string pattern)
    {
        var error = Assert.Throws<FormatException>(() => DockerIgnore.Parse("ok\n" + pattern));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }
}
