using DindBuild.ImageBuild;
using Xunit;

namespace DindBuild.Tests.Unit;

public sealed class DockerIgnoreTests
{
    [Fact]
    public void Comments_and_blank_lines_are_not_patterns()
    {
        var ignore = DockerIgnore.Parse("# secrets\n\n   \n\t\n*.log\n");

        Assert.Equal(["*.log"], ignore.Patterns);
        Assert.False(ignore.IsExcluded("# secrets"));
        Assert.False(ignore.IsExcluded("secrets"));
        Assert.True(ignore.IsExcluded("build.log"));
    }

    [Fact]
    public void An_indented_hash_is_a_pattern_because_docker_checks_for_comments_before_trimming()
    {
        var ignore = DockerIgnore.Parse("  #notes");

        Assert.True(ignore.IsExcluded("#notes"));
    }

    [Fact]
    public void Surrounding_whitespace_crlf_and_a_bom_are_stripped()
    {
        var ignore = DockerIgnore.Parse("\uFEFFnode_modules  \r\n\t!keep.txt \r\n");

        Assert.Equal(["node_modules", "!keep.txt"], ignore.Patterns);
        Assert.True(ignore.IsExcluded("node_modules/x/index.js"));
        Assert.True(ignore.HasExceptions);
    }

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
    [InlineData("bin", true)]
    [InlineData("bin/app.dll", true)]
    [InlineData("bin/x/y.txt", true)]
    [InlineData("src/bin", false)]
    [InlineData("binary", false)]
    [InlineData("bin.txt", false)]
    public void A_pattern_matching_a_parent_directory_excludes_everything_inside_it(string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse("bin").IsExcluded(path));
    }

    [Fact]
    public void Exception_re_includes_and_the_last_matching_pattern_wins()
    {
        var reincluded = DockerIgnore.Parse("*.md\n!README.md");
        var excludedAgain = DockerIgnore.Parse("!README.md\n*.md");
        var flipFlop = DockerIgnore.Parse("*.md\n!*.md\nCHANGELOG.md");

        Assert.True(reincluded.IsExcluded("CHANGELOG.md"));
        Assert.False(reincluded.IsExcluded("README.md"));
        Assert.True(excludedAgain.IsExcluded("README.md"));
        Assert.True(flipFlop.IsExcluded("CHANGELOG.md"));
        Assert.False(flipFlop.IsExcluded("README.md"));
    }

    [Fact]
    public void Exception_can_re_include_a_file_inside_an_excluded_directory()
    {
        var ignore = DockerIgnore.Parse("docs\n!docs/keep.txt");

        Assert.True(ignore.IsExcluded("docs"));
        Assert.True(ignore.IsExcluded("docs/other.txt"));
        Assert.False(ignore.IsExcluded("docs/keep.txt"));
    }

    [Fact]
    public void Directories_are_skippable_only_when_no_exception_could_re_include_their_content()
    {
        var noExceptions = DockerIgnore.Parse("docs");
        var exceptionInside = DockerIgnore.Parse("docs\n!docs/keep.txt");
        var exceptionElsewhere = DockerIgnore.Parse("docs\n!src");
        var wildcardException = DockerIgnore.Parse("docs\n!**/keep.txt");
        var wildcardUnderDirectory = DockerIgnore.Parse("docs\n!docs/*/keep.txt");

        Assert.False(noExceptions.HasExceptions);
        Assert.True(noExceptions.CanSkipDirectory("docs"));
        Assert.False(noExceptions.CanSkipDirectory("src"));
        Assert.False(exceptionInside.CanSkipDirectory("docs"));
        Assert.True(exceptionElsewhere.CanSkipDirectory("docs"));
        Assert.False(wildcardException.CanSkipDirectory("docs"));
        Assert.False(wildcardUnderDirectory.CanSkipDirectory("docs"));
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
    [InlineData("/build", "build/out.txt")]
    [InlineData("./build", "build/out.txt")]
    [InlineData("build/", "build/out.txt")]
    [InlineData("//build//sub/", "build/sub/x")]
    [InlineData("src/../build", "build")]
    [InlineData("!/build", null)]
    public void Patterns_are_cleaned_like_go_filepath_clean(string pattern, string? excludedPath)
    {
        var ignore = DockerIgnore.Parse(pattern);

        if (excludedPath is null)
        {
            Assert.Equal(["!build"], ignore.Patterns);
        }
        else
        {
            Assert.True(ignore.IsExcluded(excludedPath));
            Assert.False(ignore.IsExcluded("src/" + excludedPath));
        }
    }

    [Fact]
    public void Paths_passed_in_are_normalized_too()
    {
        var ignore = DockerIgnore.Parse("build");

        Assert.True(ignore.IsExcluded("./build/x"));
        Assert.True(ignore.IsExcluded("build/"));
        Assert.False(ignore.IsExcluded("."));
        Assert.False(ignore.IsExcluded(""));
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
    [InlineData(new[] { "**", "!util/docker/web" }, "util/docker/web/foo", false)]
    [InlineData(new[] { "**", "!util/docker/web", "util/docker/web/foo" }, "util/docker/web/foo", true)]
    [InlineData(new[] { "**", "!dist/*.whl" }, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false)]
    public void Multiple_patterns_match_like_moby_patternmatcher(string[] patterns, string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse(string.Join('\n', patterns)).IsExcluded(path));
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

    [Fact]
    public void Empty_matcher_excludes_nothing()
    {
        Assert.False(DockerIgnore.Empty.IsExcluded("anything/at/all"));
        Assert.False(DockerIgnore.Parse("").IsExcluded("x"));
        Assert.False(DockerIgnore.Empty.HasExceptions);
    }

    [Fact]
    public void Load_reads_the_ignore_file_from_the_context_root_or_returns_an_empty_matcher()
    {
        var context = Directory.CreateTempSubdirectory("dindbuild-ignore-");
        try
        {
            Assert.Empty(DockerIgnore.Load(context.FullName).Patterns);

            File.WriteAllText(Path.Combine(context.FullName, ".dockerignore"), "secret\n!secret/public.txt\n");
            var ignore = DockerIgnore.Load(context.FullName);

            Assert.True(ignore.IsExcluded("secret/key.pem"));
            Assert.False(ignore.IsExcluded("secret/public.txt"));
            Assert.True(ignore.HasExceptions);
        }
        finally
        {
            context.Delete(recursive: true);
        }
    }
}
