using DindBuild.ImageBuild;

namespace DindBuild.Tests.Unit;

/// <summary>The ignore file as a whole: its lines, exceptions and the last match winning, path normalization, loading.</summary>
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
    [InlineData(new[] { "**", "!util/docker/web" }, "util/docker/web/foo", false)]
    [InlineData(new[] { "**", "!util/docker/web", "util/docker/web/foo" }, "util/docker/web/foo", true)]
    [InlineData(new[] { "**", "!dist/*.whl" }, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false)]
    public void Multiple_patterns_match_like_moby_patternmatcher(string[] patterns, string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse(string.Join('\n', patterns)).IsExcluded(path));
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
