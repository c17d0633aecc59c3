using System.Diagnostics;
using System.Formats.Tar;
using System.Runtime.Versioning;
using System.Text;
using DindBuild.ImageBuild;
using Xunit;

namespace DindBuild.Tests.Unit;

// The fixtures rely on Unix modes, symlinks and FIFOs; the archive itself is what a Linux engine consumes.
[UnsupportedOSPlatform("windows")]
public sealed class BuildContextArchiveTests : IDisposable
{
    private const string OutsideSecret = "TOP-SECRET-OUTSIDE-THE-CONTEXT";

    private static readonly DateTime FixedTime = new(2021, 6, 15, 12, 30, 45, DateTimeKind.Utc);

    private readonly DirectoryInfo _sandbox;

    public BuildContextArchiveTests()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Build contexts for the Linux engine are archived with Unix semantics.");
        _sandbox = Directory.CreateTempSubdirectory("dindbuild-context-");
    }

    private string Context => Path.Combine(_sandbox.FullName, "context");

    public void Dispose() => _sandbox.Delete(recursive: true);

    [Fact]
    public async Task Archive_contains_exactly_the_non_ignored_entries_in_walk_order()
    {
        CreateStandardContext();

        var entries = await ReadArchiveAsync(await WriteArchiveAsync("Dockerfile"));

        Assert.Equal(
            [
                ".dockerignore",
                "Dockerfile",
                "app.txt",
                "important.log",
                "link-out",
                "run.sh",
                "src/",
                "src/main.cs",
                "src/nested/",
                "src/nested/deep.txt",
            ],
            entries.Select(e => e.Name));
        Assert.Equal(TarEntryType.Directory, entries.Single(e => e.Name == "src/nested/").Type);
    }

    [Fact]
    public async Task File_contents_modes_times_and_ownership_survive()
    {
        CreateStandardContext();

        var entries = await ReadArchiveAsync(await WriteArchiveAsync("Dockerfile"));
        var app = entries.Single(e => e.Name == "app.txt");
        var script = entries.Single(e => e.Name == "run.sh");
        var deep = entries.Single(e => e.Name == "src/nested/deep.txt");

        Assert.Equal(TarEntryType.RegularFile, app.Type);
        Assert.Equal("hello context", app.Text);
        Assert.Equal("#!/bin/sh\necho hi\n", script.Text);
        Assert.Equal(new string('x', 100_000), deep.Text);
        Assert.True(script.Mode.HasFlag(UnixFileMode.UserExecute));
        Assert.True(script.Mode.HasFlag(UnixFileMode.OtherExecute));
        Assert.False(app.Mode.HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, app.Mode);
        Assert.Equal(new DateTimeOffset(FixedTime), app.ModificationTime);
        Assert.All(entries, e => Assert.Equal((0, 0), (e.Uid, e.Gid)));
    }

    [Fact]
    public async Task Symlink_to_a_file_outside_the_context_is_sent_as_a_link_without_its_target_content()
    {
        CreateStandardContext();

        var archive = await WriteArchiveAsync("Dockerfile");
        var link = (await ReadArchiveAsync(archive)).Single(e => e.Name == "link-out");

        Assert.Equal(TarEntryType.SymbolicLink, link.Type);
        Assert.Equal(Path.Combine(_sandbox.FullName, "outside", "secret.txt"), link.LinkName);
        Assert.Null(link.Text);
        Assert.DoesNotContain(OutsideSecret, Encoding.UTF8.GetString(archive), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Symlinked_directories_are_not_descended_into()
    {
        Directory.CreateDirectory(Context);
        var outside = Directory.CreateDirectory(Path.Combine(_sandbox.FullName, "outside-dir"));
        File.WriteAllText(Path.Combine(outside.FullName, "leak.txt"), OutsideSecret);
        File.WriteAllText(Path.Combine(Context, "Dockerfile"), "FROM scratch\n");
        Directory.CreateSymbolicLink(Path.Combine(Context, "linked-dir"), outside.FullName);

        var archive = await WriteArchiveAsync("Dockerfile");
        var entries = await ReadArchiveAsync(archive);

        Assert.Equal(["Dockerfile", "linked-dir"], entries.Select(e => e.Name));
        Assert.Equal(TarEntryType.SymbolicLink, entries[1].Type);
        Assert.Equal(outside.FullName, entries[1].LinkName);
        Assert.DoesNotContain(OutsideSecret, Encoding.UTF8.GetString(archive), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exceptions_re_include_files_inside_an_excluded_directory_without_its_directory_entry()
    {
        Directory.CreateDirectory(Path.Combine(Context, "docs"));
        File.WriteAllText(Path.Combine(Context, "Dockerfile"), "FROM scratch\n");
        File.WriteAllText(Path.Combine(Context, "docs", "keep.txt"), "keep");
        File.WriteAllText(Path.Combine(Context, "docs", "drop.txt"), "drop");
        File.WriteAllText(Path.Combine(Context, ".dockerignore"), "docs\n!docs/keep.txt\n");

        var entries = await ReadArchiveAsync(await WriteArchiveAsync("Dockerfile"));

        Assert.Equal([".dockerignore", "Dockerfile", "docs/keep.txt"], entries.Select(e => e.Name));
    }

    [Fact]
    public async Task Dockerfile_in_an_ignored_directory_is_still_sent_alone()
    {
        Directory.CreateDirectory(Path.Combine(Context, "build", "docker"));
        File.WriteAllText(Path.Combine(Context, "build", "docker", "app.Dockerfile"), "FROM scratch\n");
        File.WriteAllText(Path.Combine(Context, "build", "docker", "notes.txt"), "not needed");
        File.WriteAllText(Path.Combine(Context, ".dockerignore"), "build\n");

        var relative = await ReadArchiveAsync(await WriteArchiveAsync("./build/docker/app.Dockerfile"));
        var absolute = await ReadArchiveAsync(await WriteArchiveAsync(Path.Combine(Context, "build", "docker", "app.Dockerfile")));

        Assert.Equal([".dockerignore", "build/docker/app.Dockerfile"], relative.Select(e => e.Name));
        Assert.Equal(relative.Select(e => e.Name), absolute.Select(e => e.Name));
        Assert.Equal("FROM scratch\n", relative[1].Text);
    }

    [Fact]
    public async Task Output_is_deterministic()
    {
        CreateStandardContext();

        var first = await WriteArchiveAsync("Dockerfile");
        var second = await WriteArchiveAsync("Dockerfile");

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Fifos_are_skipped_without_blocking_or_breaking_the_archive()
    {
        Directory.CreateDirectory(Context);
        File.WriteAllText(Path.Combine(Context, "Dockerfile"), "FROM scratch\n");
        File.WriteAllText(Path.Combine(Context, "z-after.txt"), "after");
        var fifo = Path.Combine(Context, "pipe");
        Assert.SkipUnless(TryMakeFifo(fifo), "mkfifo is not available on this machine.");

        // Opening a FIFO blocks the calling thread forever, so run elsewhere and bound the wait to see a failure.
        var archive = await Task.Run(() => WriteArchiveAsync("Dockerfile"), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var entries = await ReadArchiveAsync(archive);

        Assert.Equal(["Dockerfile", "z-after.txt"], entries.Select(e => e.Name));
        Assert.Equal("after", entries[1].Text);
    }

    [Fact]
    public async Task Destination_stream_is_left_open_and_archive_is_terminated()
    {
        CreateStandardContext();
        using var destination = new MemoryStream();

        await BuildContextArchive.WriteAsync(Context, "Dockerfile", destination, TestContext.Current.CancellationToken);

        Assert.True(destination.CanWrite);
        Assert.Equal(0, destination.Length % 512);
        Assert.True(destination.ToArray().AsSpan(^1024..).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public async Task Dockerfile_outside_the_context_is_rejected()
    {
        CreateStandardContext();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => WriteArchiveAsync("../outside/secret.txt"));

        Assert.Equal("dockerfileRelativePath", error.ParamName);
        Assert.Contains("not inside the build context", error.Message, StringComparison.Ordinal);
    }

    // context/
    //   .dockerignore  (ignores itself and the Dockerfile: both must still be sent)
    //   Dockerfile, app.txt, run.sh (0755), important.log (re-included), debug.log (ignored)
    //   secret/key.pem (ignored directory), src/main.cs, src/nested/deep.txt
    //   link-out -> <sandbox>/outside/secret.txt (absolute target outside the context)
    private void CreateStandardContext()
    {
        Directory.CreateDirectory(Path.Combine(Context, "src", "nested"));
        Directory.CreateDirectory(Path.Combine(Context, "secret"));
        var outside = Directory.CreateDirectory(Path.Combine(_sandbox.FullName, "outside"));

        WriteFile(".dockerignore", "# generated by the test\n*.log\n!important.log\nsecret/\nDockerfile\n.dockerignore\n");
        WriteFile("Dockerfile", "FROM scratch\nCOPY . /\n");
        WriteFile("app.txt", "hello context");
        File.SetUnixFileMode(
            Path.Combine(Context, "app.txt"),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        WriteFile("run.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(Context, "run.sh"), (UnixFileMode)0x1ED); // 0755
        WriteFile("important.log", "kept by exception");
        WriteFile("debug.log", "dropped");
        WriteFile("secret/key.pem", "dropped with its directory");
        WriteFile("src/main.cs", "class C {}");
        WriteFile("src/nested/deep.txt", new string('x', 100_000));

        var secret = Path.Combine(outside.FullName, "secret.txt");
        File.WriteAllText(secret, OutsideSecret);
        File.CreateSymbolicLink(Path.Combine(Context, "link-out"), secret);
    }

    private void WriteFile(string relative, string content)
    {
        var path = Path.Combine(Context, relative);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, FixedTime);
    }

    private async Task<byte[]> WriteArchiveAsync(string dockerfile)
    {
        using var destination = new MemoryStream();
        await BuildContextArchive.WriteAsync(Context, dockerfile, destination, TestContext.Current.CancellationToken);
        return destination.ToArray();
    }

    private static async Task<List<ArchivedEntry>> ReadArchiveAsync(byte[] archive)
    {
        var entries = new List<ArchivedEntry>();
        using var source = new MemoryStream(archive);
        await using var reader = new TarReader(source);
        while (await reader.GetNextEntryAsync(copyData: true, TestContext.Current.CancellationToken) is { } entry)
        {
            string? text = null;
            if (entry.DataStream is { } data)
            {
                using var content = new StreamReader(data, Encoding.UTF8);
                text = await content.ReadToEndAsync(TestContext.Current.CancellationToken);
            }

            entries.Add(new ArchivedEntry(
                entry.Name,
                entry.EntryType,
                entry.Mode,
                entry.ModificationTime,
                entry.Uid,
                entry.Gid,
                entry.LinkName,
                text));
        }

        return entries;
    }

    private static bool TryMakeFifo(string path)
    {
        try
        {
            using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false });
            if (mkfifo is null)
            {
                return false;
            }

            mkfifo.WaitForExit();
            return mkfifo.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private sealed record ArchivedEntry(
        string Name,
        TarEntryType Type,
        UnixFileMode Mode,
        DateTimeOffset ModificationTime,
        int Uid,
        int Gid,
        string LinkName,
        string? Text);
}
