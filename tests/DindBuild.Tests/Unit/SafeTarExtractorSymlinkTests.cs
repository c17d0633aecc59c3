using DindBuild.Artifacts;

namespace DindBuild.Tests.Unit;

/// <summary>Symlinks that escape, now or once later entries are in place, and never writing through one.</summary>
public sealed class SafeTarExtractorSymlinkTests : SafeTarExtractorTestBase
{
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
            Assert.Null(new FileInfo(Path.Combine(Destination, "etc")).LinkTarget);
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
            w.WriteEntry(Symlink("artifacts/a", Sentinel));
            w.WriteEntry(File("artifacts/a/passwd", "pwned"));
            w.WriteEntry(Symlink("artifacts/b", "../sentinel"));
            w.WriteEntry(File("artifacts/b/passwd", "pwned"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/a", "artifacts/b"], result.Refused);

        // The symlinks were never created, so the files landed in real directories inside the destination.
        Assert.Null(new FileInfo(Path.Combine(Destination, "a")).LinkTarget);
        Assert.True(System.IO.File.Exists(Path.Combine(Destination, "a", "passwd")));
        Assert.True(System.IO.File.Exists(Path.Combine(Destination, "b", "passwd")));
        AssertSentinelUntouched();
    }

    [Fact]
    public async Task Never_writes_through_an_existing_symlink_parent()
    {
        // Planted outside the archive, so the parent check is the only thing standing between the entry and the sentinel.
        Directory.CreateSymbolicLink(Path.Combine(Destination, "planted"), Sentinel);
        var tar = Archive(w => w.WriteEntry(File("artifacts/planted/evil.txt", "pwned")));

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/planted/evil.txt"], result.Refused);
        Assert.Contains(Warnings, m => m.Contains("symlink", StringComparison.Ordinal));
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
        Assert.Equal("real", new FileInfo(Path.Combine(Destination, "link")).LinkTarget);
        Assert.False(System.IO.File.Exists(Path.Combine(Destination, "real", "file.txt")));
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
        Assert.Equal("logs/build.log", new FileInfo(Path.Combine(Destination, "latest.log")).LinkTarget);
        Assert.Equal("log", System.IO.File.ReadAllText(Path.Combine(Destination, "latest.log")));
        Assert.Equal("../logs", new FileInfo(Path.Combine(Destination, "logs", "self")).LinkTarget);
    }

    [Fact]
    public async Task Replaces_an_existing_symlink_with_a_file_instead_of_following_it()
    {
        Directory.CreateSymbolicLink(Path.Combine(Destination, "report.txt"), Path.Combine(Sentinel, "victim.txt"));
        var tar = Archive(w => w.WriteEntry(File("artifacts/report.txt", "fresh")));

        var result = await ExtractAsync(tar);

        var report = new FileInfo(Path.Combine(Destination, "report.txt"));
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
        Assert.False(Path.Exists(Path.Combine(Destination, "l")));
        Assert.Equal("..", new FileInfo(Path.Combine(Destination, "d", "up")).LinkTarget);
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
        Assert.False(Path.Exists(Path.Combine(Destination, "l")));
        Assert.Contains(Warnings, m => m.Contains("'artifacts/l'", StringComparison.Ordinal) && m.Contains("removed", StringComparison.Ordinal));
    }
}
