using System.Formats.Tar;
using DindBuild.Artifacts;

namespace DindBuild.Tests.Unit;

/// <summary>What is written, where, and with which metadata; entry types that are never written.</summary>
public sealed class SafeTarExtractorTests : SafeTarExtractorTestBase
{
    [Fact]
    public async Task Writes_nested_files_with_content_permission_bits_and_mtime()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var tar = Archive(w =>
        {
            w.WriteEntry(Dir("artifacts/"));
            w.WriteEntry(Dir("artifacts/bin/"));
            w.WriteEntry(File("artifacts/bin/tool.sh", "#!/bin/sh\necho hi\n", (UnixFileMode)0b111_101_101 | UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit));
            w.WriteEntry(File("artifacts/reports/junit.xml", "<testsuites/>", (UnixFileMode)0b110_100_000));
        });

        var result = await ExtractAsync(tar);

        var tool = Path.Combine(Destination, "bin", "tool.sh");
        Assert.Equal("#!/bin/sh\necho hi\n", System.IO.File.ReadAllText(tool));
        Assert.Equal((UnixFileMode)0b111_101_101, ModeOf(tool));
        Assert.Equal(FixedTime.UtcDateTime, System.IO.File.GetLastWriteTimeUtc(tool));
        var report = Path.Combine(Destination, "reports", "junit.xml");
        Assert.Equal("<testsuites/>", System.IO.File.ReadAllText(report));
        Assert.Equal((UnixFileMode)0b110_100_000, ModeOf(report));
        Assert.Equal((2, 18L + 13), (result.FilesWritten, result.BytesWritten));
        Assert.Equal([tool, report], result.Files.Order(StringComparer.Ordinal));
        Assert.Empty(result.Refused);
        Assert.Empty(Warnings);
        Assert.False(Directory.Exists(Path.Combine(Destination, "artifacts")), "the leading component must be stripped");
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Directory_mode_and_mtime_are_applied_after_their_contents_are_written()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var tar = Archive(w =>
        {
            w.WriteEntry(Dir("artifacts/readonly/", (UnixFileMode)0b101_101_101));
            w.WriteEntry(File("artifacts/readonly/inside.txt", "x"));
        });

        await ExtractAsync(tar);

        var dir = Path.Combine(Destination, "readonly");
        Assert.True(System.IO.File.Exists(Path.Combine(dir, "inside.txt")));
        Assert.Equal((UnixFileMode)0b101_101_101, ModeOf(dir));
        Assert.Equal(FixedTime.UtcDateTime, Directory.GetLastWriteTimeUtc(dir));
    }

    [Fact]
    public async Task Strips_nothing_when_the_leading_component_is_empty()
    {
        var tar = Archive(w => w.WriteEntry(File("x/y.txt", "y")));

        var result = await ExtractAsync(tar, strip: "");

        Assert.Equal("y", System.IO.File.ReadAllText(Path.Combine(Destination, "x", "y.txt")));
        Assert.Equal(1, result.FilesWritten);
    }

    [Fact]
    public async Task A_single_requested_file_is_written_under_its_own_name()
    {
        var tar = Archive(w => w.WriteEntry(File("junit.xml", "<x/>")));

        var result = await ExtractAsync(tar, strip: "junit.xml");

        Assert.Equal("<x/>", System.IO.File.ReadAllText(Path.Combine(Destination, "junit.xml")));
        Assert.Equal(1, result.FilesWritten);
    }

    [Fact]
    public async Task Refuses_devices_and_fifos()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "artifacts/null") { DeviceMajor = 1, DeviceMinor = 3 });
            w.WriteEntry(new PaxTarEntry(TarEntryType.BlockDevice, "artifacts/sda") { DeviceMajor = 8, DeviceMinor = 0 });
            w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "artifacts/pipe"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/null", "artifacts/sda", "artifacts/pipe"], result.Refused);
        Assert.Contains(Warnings, m => m.Contains("'artifacts/null'", StringComparison.Ordinal) && m.Contains("character device", StringComparison.Ordinal));
        Assert.Contains(Warnings, m => m.Contains("'artifacts/pipe'", StringComparison.Ordinal) && m.Contains("FIFO", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Destination));
    }

    [Fact]
    public async Task Rejects_a_multi_component_strip_argument()
    {
        var extractor = new SafeTarExtractor(Destination, 100, Warnings.Add);

        await Assert.ThrowsAsync<ArgumentException>(
            () => extractor.ExtractAsync(new MemoryStream(Archive(_ => { })), "a/b", TestContext.Current.CancellationToken));
    }
}
