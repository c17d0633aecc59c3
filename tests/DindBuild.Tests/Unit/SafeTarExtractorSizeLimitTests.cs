using System.Text;
using DindBuild.Artifacts;
using DindBuild.Diagnostics;

namespace DindBuild.Tests.Unit;

/// <summary>
/// The size limit counts everything an archive can put on disk — content, hardlink copies, and every entry
/// (<c>ExtractionBudget</c>) — and the entry limit counts entries: issue 12, item 4.
/// </summary>
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
        var limit = Cost("artifacts/a.txt", 10) + Cost("artifacts/b.txt", 10) + Cost("artifacts/big.txt", 99);
        var extractor = new SafeTarExtractor(Destination, limit, Warnings.Add);

        var ex = await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        Assert.Equal("artifacts/big.txt", ex.EntryName);
        Assert.False(ex.IsEntryLimit);
        Assert.Equal(limit, ex.LimitBytes);
        Assert.Equal((2, 20L, 2), (ex.FilesKept, ex.BytesKept, ex.EntriesRead));
        Assert.Contains("raise --artifacts-max-size", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{limit} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("kept 2 file(s), 20 bytes of content", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(ex));
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
        var limit = Cost("artifacts/a.txt", 30) + Cost("artifacts/a-copy.txt", 0, "artifacts/a.txt") + 29;
        var extractor = new SafeTarExtractor(Destination, limit, Warnings.Add);

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

        var result = await ExtractAsync(tar, maxTotalBytes: Cost("artifacts/a.txt", 50));

        Assert.Equal(50, result.BytesWritten);
        Assert.Equal(Cost("artifacts/a.txt", 50), result.CountedBytes);
    }

    [Fact]
    public async Task Empty_directories_count_against_the_size_limit()
    {
        const int directories = 2000;
        var tar = Archive(w =>
        {
            for (var i = 0; i < directories; i++)
            {
                w.WriteEntry(Dir($"artifacts/d{i:D5}/"));
            }
        });
        var extractor = new SafeTarExtractor(Destination, 1L << 20, Warnings.Add);

        var ex = await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        var written = Directory.GetDirectories(Destination).Length;
        Assert.Equal((1L << 20) / Cost("artifacts/d00000/", 0), written);
        Assert.Equal(written, ex.EntriesRead);
        Assert.Equal(0, ex.FilesKept);
    }

    [Fact]
    public async Task Long_symlink_targets_count_against_the_size_limit()
    {
        var target = string.Join('/', Enumerable.Repeat(new string('t', 199), 20));
        var tar = Archive(w =>
        {
            for (var i = 0; i < 500; i++)
            {
                w.WriteEntry(Symlink($"artifacts/l{i:D4}", target));
            }
        });
        var extractor = new SafeTarExtractor(Destination, 1L << 20, Warnings.Add);

        await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        Assert.Equal((1L << 20) / Cost("artifacts/l0000", 0, target), Directory.GetFileSystemEntries(Destination).Length);
    }

    [Fact]
    public async Task The_entry_limit_stops_extraction_and_keeps_what_came_before()
    {
        var tar = Archive(w =>
        {
            for (var i = 0; i < 15; i++)
            {
                w.WriteEntry(File($"artifacts/f{i:D2}.txt", "x"));
            }
        });
        var extractor = new SafeTarExtractor(Destination, long.MaxValue, Warnings.Add, maxEntries: 10);

        var ex = await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        Assert.True(ex.IsEntryLimit);
        Assert.Equal("artifacts/f10.txt", ex.EntryName);
        Assert.Equal((10, 10, 10), (ex.LimitEntries, ex.EntriesRead, ex.FilesKept));
        Assert.Contains("more than the limit of 10 entries", ex.Message, StringComparison.Ordinal);
        Assert.Contains("raise --artifacts-max-entries", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(ex));
        Assert.Equal(10, Directory.GetFiles(Destination).Length);
    }

    [Fact]
    public async Task Refused_entries_count_as_entries_too()
    {
        var tar = Archive(w =>
        {
            for (var i = 0; i < 5; i++)
            {
                w.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Fifo, $"artifacts/pipe{i}"));
            }
        });
        var extractor = new SafeTarExtractor(Destination, long.MaxValue, Warnings.Add, maxEntries: 3);

        var ex = await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        Assert.Equal("artifacts/pipe3", ex.EntryName);
        Assert.Equal(3, Warnings.Count);
    }

    [Fact]
    public async Task Within_the_limits_the_result_counts_entries_and_bytes()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(Dir("artifacts/"));
            w.WriteEntry(File("artifacts/a.txt", "hello"));
            w.WriteEntry(Symlink("artifacts/b", "a.txt"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(3, result.Entries);
        Assert.Equal(Cost("artifacts/", 0) + Cost("artifacts/a.txt", 5) + Cost("artifacts/b", 0, "a.txt"), result.CountedBytes);
        Assert.Equal((1, 5L), (result.FilesWritten, result.BytesWritten));
    }

    /// <summary>The documented cost, computed here rather than by the code under test: 4 KiB, the name, the link target, the content.</summary>
    private static long Cost(string name, long content, string linkTarget = "") =>
        4096 + Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(linkTarget) + content;
}
