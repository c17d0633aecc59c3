using System.Formats.Tar;
using System.Runtime.Versioning;
using DindBuild.Hosting;
using DindBuild.ImageBuild;
using Xunit;

namespace DindBuild.Tests.Unit;

/// <summary>
/// DindBuild's state (.dindbuild/: daemon endpoints, packages) and the run's artifacts directory never reach a build
/// context, whether or not the team's .dockerignore says so. Checked on the archive the engine would receive.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class BuildContextNeverSentTests : IDisposable
{
    private readonly DirectoryInfo _context = Directory.CreateTempSubdirectory("dindbuild-never-sent-");

    public void Dispose() => _context.Delete(recursive: true);

    [Fact]
    public async Task The_state_directory_is_not_sent_without_any_dockerignore()
    {
        Write("Dockerfile", "FROM scratch\nCOPY . /ctx\n");
        Write("app.txt", "app");
        Write(".dindbuild/secret", "tcp://127.0.0.1:2376 and the client key's path");
        Write(".dindbuild/sessions/t1.json", "{}");

        var names = await ArchivedNamesAsync(NeverSent.StateOnly);

        Assert.Equal(["Dockerfile", "app.txt"], names);
    }

    [Fact]
    public async Task A_dockerignore_exception_cannot_bring_the_state_back_and_nested_state_directories_are_left_out_too()
    {
        Write("Dockerfile", "FROM scratch\n");
        Write(".dockerignore", "*\n!.dindbuild\n!.dindbuild/secret\n!sub\n");
        Write(".dindbuild/secret", "endpoint");
        Write("sub/.dindbuild/cake/addins/DindBuild.dll", "engine");
        Write("sub/keep.txt", "kept");

        var names = await ArchivedNamesAsync(NeverSent.StateOnly);

        Assert.Contains("sub/keep.txt", names);
        Assert.DoesNotContain(names, name => name.Contains(".dindbuild", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_artifacts_directory_inside_the_context_is_not_sent_and_one_outside_changes_nothing()
    {
        Write("Dockerfile", "FROM scratch\n");
        Write("artifacts/dindbuild-log.jsonl", "{\"secret\":1}");
        Write("artifacts/junit.xml", "<testsuites/>");
        Write("artifactsnot/kept.txt", "a sibling with a longer name is sent");
        var outside = Path.Combine(Path.GetTempPath(), "elsewhere-artifacts");

        var names = await ArchivedNamesAsync(NeverSent.For(_context.FullName, [Path.Combine(_context.FullName, "artifacts"), outside, _context.FullName]));

        Assert.DoesNotContain(names, name => name.StartsWith("artifacts/", StringComparison.Ordinal));
        Assert.Contains("artifactsnot/kept.txt", names);
        Assert.Contains("Dockerfile", names);
    }

    [Fact]
    public async Task A_Dockerfile_inside_the_state_directory_is_refused_with_the_reason()
    {
        Write(".dindbuild/Dockerfile", "FROM scratch\n");

        using var destination = new MemoryStream();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => BuildContextArchive.WriteAsync(_context.FullName, ".dindbuild/Dockerfile", destination, TestContext.Current.CancellationToken));

        Assert.Contains("never sent in a build context", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Saving_a_session_makes_the_state_directory_ignore_itself_for_git()
    {
        var store = SessionStore.ForRepository(_context.FullName);
        store.Save(new DindBuild.Sessions.SessionState("t0000", DindBuild.Settings.DockerMode.Dind, "unix:///run/none.sock", null), new Dictionary<string, string>());

        Assert.Equal("*", File.ReadAllLines(Path.Combine(_context.FullName, ".dindbuild", ".gitignore")).Last());
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_context.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private async Task<List<string>> ArchivedNamesAsync(NeverSent neverSent)
    {
        using var destination = new MemoryStream();
        await BuildContextArchive.WriteAsync(_context.FullName, "Dockerfile", destination, TestContext.Current.CancellationToken, neverSent);
        destination.Position = 0;
        var names = new List<string>();
        await using var reader = new TarReader(destination);
        while (await reader.GetNextEntryAsync(copyData: false, TestContext.Current.CancellationToken) is { } entry)
        {
            names.Add(entry.Name);
        }

        return names;
    }
}
