using DindBuild.Artifacts;

namespace DindBuild.Tests.Unit;

/// <summary>Entry names that would land outside the destination or outside the requested path (<c>ArchivePath</c>).</summary>
public sealed class SafeTarExtractorPathTests : SafeTarExtractorTestBase
{
    [Fact]
    public async Task Refuses_absolute_paths()
    {
        var absolute = Path.Combine(Sentinel, "absolute.txt");
        var tar = Archive(w =>
        {
            w.WriteEntry(File(absolute, "pwned"));
            w.WriteEntry(File("artifacts/ok.txt", "ok"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal([absolute], result.Refused);
        Assert.Contains(Warnings, m => m.Contains(absolute, StringComparison.Ordinal) && m.Contains("absolute", StringComparison.Ordinal));
        Assert.True(System.IO.File.Exists(Path.Combine(Destination, "ok.txt")), "safe entries after a refused one are still extracted");
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Refuses_dot_dot_components()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(File("artifacts/../../sentinel/climb.txt", "pwned"));
            w.WriteEntry(File("artifacts/sub/../../../sentinel/climb2.txt", "pwned"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/../../sentinel/climb.txt", "artifacts/sub/../../../sentinel/climb2.txt"], result.Refused);
        Assert.All(Warnings, m => Assert.Contains("'..'", m, StringComparison.Ordinal));
        Assert.Equal(0, result.FilesWritten);
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Refuses_dot_dot_at_the_start_when_nothing_is_stripped()
    {
        var tar = Archive(w => w.WriteEntry(File("../sentinel/x", "pwned")));

        var result = await ExtractAsync(tar, strip: "");

        Assert.Equal(["../sentinel/x"], result.Refused);
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Refuses_entries_outside_the_requested_path()
    {
        var tar = Archive(w => w.WriteEntry(File("elsewhere/x.txt", "x")));

        var result = await ExtractAsync(tar);

        Assert.Equal(["elsewhere/x.txt"], result.Refused);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Destination));
    }
}
