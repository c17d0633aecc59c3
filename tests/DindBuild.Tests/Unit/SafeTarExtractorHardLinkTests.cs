using DindBuild.Artifacts;

namespace DindBuild.Tests.Unit;

/// <summary>Hardlinks are copies of files from the same archive, and nothing else.</summary>
public sealed class SafeTarExtractorHardLinkTests : SafeTarExtractorTestBase
{
    [Fact]
    public async Task Refuses_hardlinks_whose_target_is_outside()
    {
        var secret = Path.Combine(TempRoot, "secret.txt");
        await System.IO.File.WriteAllTextAsync(secret, "secret", TestContext.Current.CancellationToken);
        var tar = Archive(w =>
        {
            w.WriteEntry(HardLink("artifacts/h-absolute", secret));
            w.WriteEntry(HardLink("artifacts/h-dotdot", "artifacts/../secret.txt"));
            w.WriteEntry(HardLink("artifacts/h-other", "other/secret.txt"));
            w.WriteEntry(HardLink("artifacts/h-etc", "/etc/passwd"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/h-absolute", "artifacts/h-dotdot", "artifacts/h-other", "artifacts/h-etc"], result.Refused);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Destination));
        Assert.Equal("secret", await System.IO.File.ReadAllTextAsync(secret, TestContext.Current.CancellationToken));
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Refuses_a_hardlink_to_a_file_that_was_already_in_theDestination()
    {
        // Only files from this archive may be linked: a pre-existing file could be anything the host put there.
        await System.IO.File.WriteAllTextAsync(Path.Combine(Destination, "preexisting.txt"), "host data", TestContext.Current.CancellationToken);
        var tar = Archive(w => w.WriteEntry(HardLink("artifacts/copy.txt", "artifacts/preexisting.txt")));

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/copy.txt"], result.Refused);
        Assert.False(System.IO.File.Exists(Path.Combine(Destination, "copy.txt")));
    }

    [Fact]
    public async Task Materialises_inside_hardlinks_as_independent_copies()
    {
        var ct = TestContext.Current.CancellationToken;
        var tar = Archive(w =>
        {
            w.WriteEntry(File("artifacts/orig.txt", "shared content"));
            w.WriteEntry(HardLink("artifacts/nested/copy.txt", "artifacts/orig.txt"));
        });

        var result = await ExtractAsync(tar);

        var original = Path.Combine(Destination, "orig.txt");
        var copy = Path.Combine(Destination, "nested", "copy.txt");
        Assert.Equal("shared content", await System.IO.File.ReadAllTextAsync(copy, ct));
        await System.IO.File.WriteAllTextAsync(copy, "changed", ct);
        Assert.Equal("shared content", await System.IO.File.ReadAllTextAsync(original, ct));
        Assert.Equal(2, result.FilesWritten);
        Assert.Equal(2 * "shared content".Length, result.BytesWritten);
        Assert.Empty(result.Refused);
    }
}
