using DindBuild.Diagnostics;

namespace DindBuild.Tests.Unit;

/// <summary>
/// DindBuild's own files in the artifacts directory (the JSON log, the reports, probe files) are never replaced,
/// shadowed or blocked by an exported entry (<c>ReservedArtifactNames</c>): issue 12, item 2.
/// </summary>
public sealed class SafeTarExtractorReservedNameTests : SafeTarExtractorTestBase
{
    private const string RealLog = "{\"@t\":\"2026-01-01T00:00:00Z\",\"@mt\":\"the build's own event\"}\n";

    [Fact]
    public async Task A_forged_build_log_is_refused_and_the_real_one_keeps_its_events()
    {
        var log = Path.Combine(Destination, DindLogging.JsonLogFileName);
        await System.IO.File.WriteAllTextAsync(log, RealLog, TestContext.Current.CancellationToken);
        var tar = Archive(w =>
        {
            w.WriteEntry(File("artifacts/junit.xml", "<testsuite/>"));
            w.WriteEntry(File("artifacts/dindbuild-log.jsonl", "{\"@mt\":\"forged\"}\n"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(RealLog, await System.IO.File.ReadAllTextAsync(log, TestContext.Current.CancellationToken));
        Assert.Equal(["artifacts/dindbuild-log.jsonl"], result.Refused);
        Assert.Contains("'dindbuild-log.jsonl' is DindBuild's own", Assert.Single(Warnings), StringComparison.Ordinal);
        Assert.True(System.IO.File.Exists(Path.Combine(Destination, "junit.xml")), "the other artifacts are still exported");
    }

    [Theory]
    [InlineData("artifacts/dindbuild-report.html")]
    [InlineData("artifacts/dindbuild-report.md")]
    [InlineData("artifacts/dindbuild-report.png")]
    [InlineData("artifacts/DindBuild-Log.JSONL")]
    [InlineData("artifacts/DINDBUILD-REPORT.HTML")]
    [InlineData("artifacts/dindbuild-log.jsonl.")]
    [InlineData("artifacts/dindbuild-log.jsonl ")]
    [InlineData("artifacts/./dindbuild-log.jsonl")]
    [InlineData("artifacts/.dindbuild-write-check-4242")]
    [InlineData("artifacts/dindbuild-report.html/inside.txt")]
    public async Task Every_name_DindBuild_writes_is_refused_whatever_its_case_or_trailing_dots(string name)
    {
        var tar = Archive(w => w.WriteEntry(File(name, "forged")));

        var result = await ExtractAsync(tar);

        Assert.Equal([name], result.Refused);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Destination));
    }

    [Fact]
    public async Task Symlinks_hardlinks_and_directories_at_a_reserved_name_are_refused_too()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(File("artifacts/good.txt", "good"));
            w.WriteEntry(Symlink("artifacts/dindbuild-report.html", "good.txt"));
            w.WriteEntry(HardLink("artifacts/dindbuild-report.md", "artifacts/good.txt"));
            w.WriteEntry(Dir("artifacts/dindbuild-log.jsonl/"));
            w.WriteEntry(Dir("artifacts/DINDBUILD-REPORT.PNG/"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/dindbuild-report.html", "artifacts/dindbuild-report.md", "artifacts/dindbuild-log.jsonl/", "artifacts/DINDBUILD-REPORT.PNG/"], result.Refused);
        Assert.Equal(["good.txt"], Directory.EnumerateFileSystemEntries(Destination).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_link_to_the_log_may_be_exported_but_writing_at_the_link_replaces_the_link_not_the_log()
    {
        var log = Path.Combine(Destination, DindLogging.JsonLogFileName);
        await System.IO.File.WriteAllTextAsync(log, RealLog, TestContext.Current.CancellationToken);
        var tar = Archive(w =>
        {
            w.WriteEntry(Symlink("artifacts/alias", "dindbuild-log.jsonl"));
            w.WriteEntry(File("artifacts/alias", "forged through the alias"));
            w.WriteEntry(HardLink("artifacts/copy", "artifacts/dindbuild-log.jsonl"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(RealLog, await System.IO.File.ReadAllTextAsync(log, TestContext.Current.CancellationToken));
        Assert.Equal("forged through the alias", await System.IO.File.ReadAllTextAsync(Path.Combine(Destination, "alias"), TestContext.Current.CancellationToken));
        Assert.Null(new FileInfo(Path.Combine(Destination, "alias")).LinkTarget);
        Assert.Equal(["artifacts/copy"], result.Refused);
    }

    [Fact]
    public async Task The_same_names_below_the_top_level_are_ordinary_artifacts()
    {
        var tar = Archive(w => w.WriteEntry(File("artifacts/old-run/dindbuild-log.jsonl", "an earlier run's log, kept by the tests")));

        var result = await ExtractAsync(tar);

        Assert.Empty(result.Refused);
        Assert.True(System.IO.File.Exists(Path.Combine(Destination, "old-run", "dindbuild-log.jsonl")));
    }
}
