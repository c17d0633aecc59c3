using DindBuild.Artifacts;

namespace DindBuild.Tests.Unit;

/// <summary>The size limit is enforced on what is written, including hardlink copies (<c>LimitedFileWriter</c>).</summary>
public sealed class SafeTarExtractorSizeLimitTests : SafeTarExtractorTestBase
{
    [Fact]
    public async Task Size_limit_stops_extraction_and_keeps_earlier_files()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(File("artifacts/a.txt", new string('a', 10)));
            w.WriteEntry(File("artifacts/b.txt", new string('b', 10)));
            w.WriteEntry(File("artifacts/big.txt", new string('c', 100)));
            w.WriteEntry(File("artifacts/z.txt", "z"));
        });
        var extractor = new SafeTarExtractor(Destination, maxTotalBytes: 50, Warnings.Add);

        var ex = await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        Assert.Equal("artifacts/big.txt", ex.EntryName);
        Assert.Equal(50, ex.LimitBytes);
        Assert.Equal(2, ex.FilesKept);
        Assert.Equal(20, ex.BytesKept);
        Assert.Contains("raise --artifacts-max-size", ex.Message, StringComparison.Ordinal);
        Assert.Contains("50 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("kept 2 file(s)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(new string('a', 10), System.IO.File.ReadAllText(Path.Combine(Destination, "a.txt")));
        Assert.Equal(new string('b', 10), System.IO.File.ReadAllText(Path.Combine(Destination, "b.txt")));
        Assert.False(System.IO.File.Exists(Path.Combine(Destination, "big.txt")));
        Assert.False(System.IO.File.Exists(Path.Combine(Destination, "z.txt")));
    }

    [Fact]
    public async Task Size_limit_counts_hardlink_copies()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(File("artifacts/a.txt", new string('a', 30)));
            w.WriteEntry(HardLink("artifacts/a-copy.txt", "artifacts/a.txt"));
        });
        var extractor = new SafeTarExtractor(Destination, maxTotalBytes: 50, Warnings.Add);

        var ex = await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        Assert.Equal("artifacts/a-copy.txt", ex.EntryName);
        Assert.True(System.IO.File.Exists(Path.Combine(Destination, "a.txt")));
        Assert.False(System.IO.File.Exists(Path.Combine(Destination, "a-copy.txt")));
    }

    [Fact]
    public async Task Exactly_reaching_the_limit_is_allowed()
    {
        var tar = Archive(w => w.WriteEntry(File("artifacts/a.txt", new string('a', 50))));

        var result = await ExtractAsync(tar, maxTotalBytes: 50);

        Assert.Equal(50, result.BytesWritten);
    }
}
