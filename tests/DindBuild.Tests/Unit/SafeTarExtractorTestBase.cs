using System.Formats.Tar;
using System.Text;
using DindBuild.Artifacts;

namespace DindBuild.Tests.Unit;

/// <summary>
/// A temporary destination with an empty sibling that every escape attempt aims at, and builders for the
/// hostile archives the <see cref="SafeTarExtractor"/> tests feed it.
/// </summary>
public abstract class SafeTarExtractorTestBase : IDisposable
{
    protected static readonly DateTimeOffset FixedTime = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);

    protected SafeTarExtractorTestBase()
    {
        TempRoot = Path.Combine(Path.GetTempPath(), "dindbuild-tar-" + Guid.NewGuid().ToString("N"));
        Destination = Path.Combine(TempRoot, "dest");
        Sentinel = Path.Combine(TempRoot, "sentinel");
        Directory.CreateDirectory(Destination);
        Directory.CreateDirectory(Sentinel);
    }

    protected string TempRoot { get; }

    protected string Destination { get; }

    // A sibling of the destination: every escape attempt aims here, so it must stay empty.
    protected string Sentinel { get; }

    protected List<string> Warnings { get; } = [];

    public void Dispose()
    {
        if (!Directory.Exists(TempRoot))
        {
            return;
        }

        // Extracted directories may be read-only (that is one of the things under test).
        MakeWritable(new DirectoryInfo(TempRoot));
        Directory.Delete(TempRoot, recursive: true);
    }

    protected async Task<ExtractionResult> ExtractAsync(byte[] tar, string strip = "artifacts", long maxTotalBytes = long.MaxValue)
    {
        var extractor = new SafeTarExtractor(Destination, maxTotalBytes, Warnings.Add);
        using var stream = new MemoryStream(tar);
        var result = await extractor.ExtractAsync(stream, strip, TestContext.Current.CancellationToken);
        Assert.Equal(result.Refused.Count, Warnings.Count);
        return result;
    }

    protected void AssertSentinelUntouched()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(Sentinel));
        Assert.Equal(
            [Destination, Sentinel],
            Directory.EnumerateDirectories(TempRoot).Order(StringComparer.Ordinal));
    }

    protected static byte[] Archive(Action<TarWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        return buffer.ToArray();
    }

    protected static PaxTarEntry Dir(string name, UnixFileMode mode = (UnixFileMode)0b111_101_101) =>
        new(TarEntryType.Directory, name) { Mode = mode, ModificationTime = FixedTime };

    protected static PaxTarEntry File(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100) =>
        new(TarEntryType.RegularFile, name)
        {
            Mode = mode,
            ModificationTime = FixedTime,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        };

    protected static PaxTarEntry Symlink(string name, string target) =>
        new(TarEntryType.SymbolicLink, name) { LinkName = target, ModificationTime = FixedTime };

    protected static PaxTarEntry HardLink(string name, string target) =>
        new(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0b110_100_100, ModificationTime = FixedTime };

    protected static UnixFileMode ModeOf(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        return System.IO.File.GetUnixFileMode(path);
    }

    private static void MakeWritable(DirectoryInfo directory)
    {
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(directory.FullName, (UnixFileMode)0b111_111_111);
        }

        foreach (var child in directory.EnumerateDirectories())
        {
            // Never descend through a symlink: it may point at something outside the temp root.
            if (child.LinkTarget is null)
            {
                MakeWritable(child);
            }
        }
    }
}
