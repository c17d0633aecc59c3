using System.Formats.Tar;
using System.Text;
using DindBuild.Artifacts;
using Xunit;

namespace DindBuild.Tests.Unit;

public sealed class SafeTarExtractorTests : IDisposable
{
    private static readonly DateTimeOffset FixedTime = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private readonly string _root;
    private readonly string _destination;

    // A sibling of the destination: every escape attempt below aims here, so it must stay empty.
    private readonly string _sentinel;
    private readonly List<string> _warnings = [];

    public SafeTarExtractorTests()
    {
        _root = Path.Combine(Path.GetTempPath(), "dindbuild-tar-" + Guid.NewGuid().ToString("N"));
        _destination = Path.Combine(_root, "dest");
        _sentinel = Path.Combine(_root, "sentinel");
        Directory.CreateDirectory(_destination);
        Directory.CreateDirectory(_sentinel);
    }

    public void Dispose()
    {
        if (!Directory.Exists(_root))
        {
            return;
        }

        // Extracted directories may be read-only (that is one of the things under test).
        MakeWritable(new DirectoryInfo(_root));
        Directory.Delete(_root, recursive: true);
    }

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

        var tool = Path.Combine(_destination, "bin", "tool.sh");
        Assert.Equal("#!/bin/sh\necho hi\n", System.IO.File.ReadAllText(tool));
        Assert.Equal((UnixFileMode)0b111_101_101, ModeOf(tool));
        Assert.Equal(FixedTime.UtcDateTime, System.IO.File.GetLastWriteTimeUtc(tool));
        var report = Path.Combine(_destination, "reports", "junit.xml");
        Assert.Equal("<testsuites/>", System.IO.File.ReadAllText(report));
        Assert.Equal((UnixFileMode)0b110_100_000, ModeOf(report));
        Assert.Equal(new ExtractionResult(2, 18 + 13, []), result with { Refused = [] });
        Assert.Empty(result.Refused);
        Assert.Empty(_warnings);
        Assert.False(Directory.Exists(Path.Combine(_destination, "artifacts")), "the leading component must be stripped");
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

        var dir = Path.Combine(_destination, "readonly");
        Assert.True(System.IO.File.Exists(Path.Combine(dir, "inside.txt")));
        Assert.Equal((UnixFileMode)0b101_101_101, ModeOf(dir));
        Assert.Equal(FixedTime.UtcDateTime, Directory.GetLastWriteTimeUtc(dir));
    }

    [Fact]
    public async Task Strips_nothing_when_the_leading_component_is_empty()
    {
        var tar = Archive(w => w.WriteEntry(File("x/y.txt", "y")));

        var result = await ExtractAsync(tar, strip: "");

        Assert.Equal("y", System.IO.File.ReadAllText(Path.Combine(_destination, "x", "y.txt")));
        Assert.Equal(1, result.FilesWritten);
    }

    [Fact]
    public async Task A_single_requested_file_is_written_under_its_own_name()
    {
        var tar = Archive(w => w.WriteEntry(File("junit.xml", "<x/>")));

        var result = await ExtractAsync(tar, strip: "junit.xml");

        Assert.Equal("<x/>", System.IO.File.ReadAllText(Path.Combine(_destination, "junit.xml")));
        Assert.Equal(1, result.FilesWritten);
    }

    [Fact]
    public async Task Refuses_absolute_paths()
    {
        var absolute = Path.Combine(_sentinel, "absolute.txt");
        var tar = Archive(w =>
        {
            w.WriteEntry(File(absolute, "pwned"));
            w.WriteEntry(File("artifacts/ok.txt", "ok"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal([absolute], result.Refused);
        Assert.Contains(_warnings, m => m.Contains(absolute, StringComparison.Ordinal) && m.Contains("absolute", StringComparison.Ordinal));
        Assert.True(System.IO.File.Exists(Path.Combine(_destination, "ok.txt")), "safe entries after a refused one are still extracted");
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
        Assert.All(_warnings, m => Assert.Contains("'..'", m, StringComparison.Ordinal));
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
        Assert.Empty(Directory.EnumerateFileSystemEntries(_destination));
    }

    [Fact]
    public async Task Refuses_a_symlink_to_etc_and_does_not_write_through_it()
    {
        var probeName = "dindbuild-must-not-exist-" + Guid.NewGuid().ToString("N");
        var probe = Path.Combine("/etc", probeName);
        try
        {
            var tar = Archive(w =>
            {
                w.WriteEntry(Symlink("artifacts/etc", "/etc"));
                w.WriteEntry(File($"artifacts/etc/{probeName}", "pwned"));
            });

            var result = await ExtractAsync(tar);

            Assert.False(System.IO.File.Exists(probe));
            Assert.Equal(["artifacts/etc"], result.Refused);
            Assert.Null(new FileInfo(Path.Combine(_destination, "etc")).LinkTarget);
        }
        finally
        {
            if (System.IO.File.Exists(probe))
            {
                System.IO.File.Delete(probe);
            }
        }
    }

    [Fact]
    public async Task Refuses_a_symlink_to_an_outside_directory_and_the_file_after_it_stays_inside()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(Symlink("artifacts/a", _sentinel));
            w.WriteEntry(File("artifacts/a/passwd", "pwned"));
            w.WriteEntry(Symlink("artifacts/b", "../sentinel"));
            w.WriteEntry(File("artifacts/b/passwd", "pwned"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/a", "artifacts/b"], result.Refused);

        // The symlinks were never created, so the files landed in real directories inside the destination.
        Assert.Null(new FileInfo(Path.Combine(_destination, "a")).LinkTarget);
        Assert.True(System.IO.File.Exists(Path.Combine(_destination, "a", "passwd")));
        Assert.True(System.IO.File.Exists(Path.Combine(_destination, "b", "passwd")));
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Never_writes_through_an_existing_symlink_parent()
    {
        // Planted outside the archive, so the parent check is the only thing standing between the entry and the sentinel.
        Directory.CreateSymbolicLink(Path.Combine(_destination, "planted"), _sentinel);
        var tar = Archive(w => w.WriteEntry(File("artifacts/planted/evil.txt", "pwned")));

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/planted/evil.txt"], result.Refused);
        Assert.Contains(_warnings, m => m.Contains("symlink", StringComparison.Ordinal));
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Never_writes_through_a_symlink_extracted_earlier_even_if_it_points_inside()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(Dir("artifacts/real/"));
            w.WriteEntry(Symlink("artifacts/link", "real"));
            w.WriteEntry(File("artifacts/link/file.txt", "through the link"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/link/file.txt"], result.Refused);
        Assert.Equal("real", new FileInfo(Path.Combine(_destination, "link")).LinkTarget);
        Assert.False(System.IO.File.Exists(Path.Combine(_destination, "real", "file.txt")));
    }

    [Fact]
    public async Task Creates_symlinks_that_stay_inside()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(File("artifacts/logs/build.log", "log"));
            w.WriteEntry(Symlink("artifacts/latest.log", "logs/build.log"));
            w.WriteEntry(Symlink("artifacts/logs/self", "../logs"));
        });

        var result = await ExtractAsync(tar);

        Assert.Empty(result.Refused);
        Assert.Equal("logs/build.log", new FileInfo(Path.Combine(_destination, "latest.log")).LinkTarget);
        Assert.Equal("log", System.IO.File.ReadAllText(Path.Combine(_destination, "latest.log")));
        Assert.Equal("../logs", new FileInfo(Path.Combine(_destination, "logs", "self")).LinkTarget);
    }

    [Fact]
    public async Task Replaces_an_existing_symlink_with_a_file_instead_of_following_it()
    {
        Directory.CreateSymbolicLink(Path.Combine(_destination, "report.txt"), Path.Combine(_sentinel, "victim.txt"));
        var tar = Archive(w => w.WriteEntry(File("artifacts/report.txt", "fresh")));

        var result = await ExtractAsync(tar);

        var report = new FileInfo(Path.Combine(_destination, "report.txt"));
        Assert.Null(report.LinkTarget);
        Assert.Equal("fresh", System.IO.File.ReadAllText(report.FullName));
        Assert.Equal(1, result.FilesWritten);
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Refuses_a_symlink_that_escapes_through_an_earlier_symlink()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(Dir("artifacts/d/"));
            w.WriteEntry(Symlink("artifacts/d/up", ".."));

            // Textually "d/up/../.." is the destination itself, but d/up is the destination, so this is its parent.
            w.WriteEntry(Symlink("artifacts/l", "d/up/../.."));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/l"], result.Refused);
        Assert.False(Path.Exists(Path.Combine(_destination, "l")));
        Assert.Equal("..", new FileInfo(Path.Combine(_destination, "d", "up")).LinkTarget);
    }

    [Fact]
    public async Task Removes_a_symlink_that_a_later_symlink_turns_into_an_escape()
    {
        var tar = Archive(w =>
        {
            // Harmless when written (d/up does not exist yet) ...
            w.WriteEntry(Symlink("artifacts/l", "d/up/../.."));
            w.WriteEntry(Dir("artifacts/d/"));

            // ... and escaping once this one exists.
            w.WriteEntry(Symlink("artifacts/d/up", ".."));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/l"], result.Refused);
        Assert.False(Path.Exists(Path.Combine(_destination, "l")));
        Assert.Contains(_warnings, m => m.Contains("'artifacts/l'", StringComparison.Ordinal) && m.Contains("removed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refuses_hardlinks_whose_target_is_outside()
    {
        var secret = Path.Combine(_root, "secret.txt");
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
        Assert.Empty(Directory.EnumerateFileSystemEntries(_destination));
        Assert.Equal("secret", await System.IO.File.ReadAllTextAsync(secret, TestContext.Current.CancellationToken));
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Refuses_a_hardlink_to_a_file_that_was_already_in_the_destination()
    {
        // Only files from this archive may be linked: a pre-existing file could be anything the host put there.
        await System.IO.File.WriteAllTextAsync(Path.Combine(_destination, "preexisting.txt"), "host data", TestContext.Current.CancellationToken);
        var tar = Archive(w => w.WriteEntry(HardLink("artifacts/copy.txt", "artifacts/preexisting.txt")));

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/copy.txt"], result.Refused);
        Assert.False(System.IO.File.Exists(Path.Combine(_destination, "copy.txt")));
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

        var original = Path.Combine(_destination, "orig.txt");
        var copy = Path.Combine(_destination, "nested", "copy.txt");
        Assert.Equal("shared content", await System.IO.File.ReadAllTextAsync(copy, ct));
        await System.IO.File.WriteAllTextAsync(copy, "changed", ct);
        Assert.Equal("shared content", await System.IO.File.ReadAllTextAsync(original, ct));
        Assert.Equal(2, result.FilesWritten);
        Assert.Equal(2 * "shared content".Length, result.BytesWritten);
        Assert.Empty(result.Refused);
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
        Assert.Contains(_warnings, m => m.Contains("'artifacts/null'", StringComparison.Ordinal) && m.Contains("character device", StringComparison.Ordinal));
        Assert.Contains(_warnings, m => m.Contains("'artifacts/pipe'", StringComparison.Ordinal) && m.Contains("FIFO", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_destination));
    }

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
        var extractor = new SafeTarExtractor(_destination, maxTotalBytes: 50, _warnings.Add);

        var ex = await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        Assert.Equal("artifacts/big.txt", ex.EntryName);
        Assert.Equal(50, ex.LimitBytes);
        Assert.Equal(2, ex.FilesKept);
        Assert.Equal(20, ex.BytesKept);
        Assert.Contains("raise --artifacts-max-size", ex.Message, StringComparison.Ordinal);
        Assert.Contains("50 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("kept 2 file(s)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(new string('a', 10), System.IO.File.ReadAllText(Path.Combine(_destination, "a.txt")));
        Assert.Equal(new string('b', 10), System.IO.File.ReadAllText(Path.Combine(_destination, "b.txt")));
        Assert.False(System.IO.File.Exists(Path.Combine(_destination, "big.txt")));
        Assert.False(System.IO.File.Exists(Path.Combine(_destination, "z.txt")));
    }

    [Fact]
    public async Task Size_limit_counts_hardlink_copies()
    {
        var tar = Archive(w =>
        {
            w.WriteEntry(File("artifacts/a.txt", new string('a', 30)));
            w.WriteEntry(HardLink("artifacts/a-copy.txt", "artifacts/a.txt"));
        });
        var extractor = new SafeTarExtractor(_destination, maxTotalBytes: 50, _warnings.Add);

        var ex = await Assert.ThrowsAsync<ArtifactSizeLimitExceededException>(
            () => extractor.ExtractAsync(new MemoryStream(tar), "artifacts", TestContext.Current.CancellationToken));

        Assert.Equal("artifacts/a-copy.txt", ex.EntryName);
        Assert.True(System.IO.File.Exists(Path.Combine(_destination, "a.txt")));
        Assert.False(System.IO.File.Exists(Path.Combine(_destination, "a-copy.txt")));
    }

    [Fact]
    public async Task Exactly_reaching_the_limit_is_allowed()
    {
        var tar = Archive(w => w.WriteEntry(File("artifacts/a.txt", new string('a', 50))));

        var result = await ExtractAsync(tar, maxTotalBytes: 50);

        Assert.Equal(50, result.BytesWritten);
    }

    [Fact]
    public async Task Rejects_a_multi_component_strip_argument()
    {
        var extractor = new SafeTarExtractor(_destination, 100, _warnings.Add);

        await Assert.ThrowsAsync<ArgumentException>(
            () => extractor.ExtractAsync(new MemoryStream(Archive(_ => { })), "a/b", TestContext.Current.CancellationToken));
    }

    private async Task<ExtractionResult> ExtractAsync(byte[] tar, string strip = "artifacts", long maxTotalBytes = long.MaxValue)
    {
        var extractor = new SafeTarExtractor(_destination, maxTotalBytes, _warnings.Add);
        using var stream = new MemoryStream(tar);
        var result = await extractor.ExtractAsync(stream, strip, TestContext.Current.CancellationToken);
        Assert.Equal(result.Refused.Count, _warnings.Count);
        return result;
    }

    private void AssertSentinelUntouched()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sentinel));
        Assert.Equal(
            [_destination, _sentinel],
            Directory.EnumerateDirectories(_root).Order(StringComparer.Ordinal));
    }

    private static byte[] Archive(Action<TarWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        return buffer.ToArray();
    }

    private static PaxTarEntry Dir(string name, UnixFileMode mode = (UnixFileMode)0b111_101_101) =>
        new(TarEntryType.Directory, name) { Mode = mode, ModificationTime = FixedTime };

    private static PaxTarEntry File(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100) =>
        new(TarEntryType.RegularFile, name)
        {
            Mode = mode,
            ModificationTime = FixedTime,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        };

    private static PaxTarEntry Symlink(string name, string target) =>
        new(TarEntryType.SymbolicLink, name) { LinkName = target, ModificationTime = FixedTime };

    private static PaxTarEntry HardLink(string name, string target) =>
        new(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0b110_100_100, ModificationTime = FixedTime };

    private static UnixFileMode ModeOf(string path)
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
