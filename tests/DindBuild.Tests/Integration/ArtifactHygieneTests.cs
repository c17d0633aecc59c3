using System.Text.Json;
using CliWrap.Buffered;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Issue 12 items 2, 3, 4 and 10, as a test container does them to a real run of <c>./build.sh DindTest</c>: the
/// effects are checked on the host's files, in the captured output and on the engine, never through the code under test.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class ArtifactHygieneTests(EngineFixture engine)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_test_cannot_replace_the_builds_own_log_or_reports()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        const string attack =
            "cd /artifacts && echo '{\"@t\":\"2020-01-01T00:00:00Z\",\"@mt\":\"forged\"}' > dindbuild-log.jsonl && " +
            "echo forged > DINDBUILD-LOG.JSONL && echo good > good.txt && ln -s good.txt dindbuild-report.md && " +
            "mkdir dindbuild-report.png && echo x > .dindbuild-write-check-1";

        var run = await RunAsync(session, artifacts.Path, attack);

        Assert.True(run.ExitCode == 0, run.Output);
        var events = (await File.ReadAllLinesAsync(Path.Combine(artifacts.Path, "dindbuild-log.jsonl"), Cancel))
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.True(events.Count >= 20, $"the build's log holds {events.Count} events");
        Assert.DoesNotContain(events, e => e.GetProperty("@mt").GetString() == "forged");
        Assert.Contains(events, e => e.TryGetProperty("Session", out var id) && id.GetString() == session);
        Assert.Contains(events, e => e.GetProperty("@mt").GetString()!.StartsWith("Step durations", StringComparison.Ordinal));
        Assert.StartsWith($"## DindBuild run `{session}`", await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-report.md"), Cancel), StringComparison.Ordinal);
        Assert.Contains("<html", await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-report.html"), Cancel), StringComparison.Ordinal);
        Assert.Equal(
            [".dindbuild-write-check-1", "DINDBUILD-LOG.JSONL", "dindbuild-log.jsonl", "dindbuild-report.md", "dindbuild-report.png"],
            run.Lines.Where(line => line.Contains("Refused artifact entry", StringComparison.Ordinal))
                .Select(line => line.Split('\'')[1].Replace("artifacts/", "", StringComparison.Ordinal).TrimEnd('/'))
                .Order(StringComparer.Ordinal));
        Assert.Equal("good\n", await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "good.txt"), Cancel));
        Assert.Equal(["dindbuild-log.jsonl", "dindbuild-report.html", "dindbuild-report.md", "good.txt"], Entries(artifacts.Path));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task Names_and_output_from_the_container_cannot_forge_log_lines_or_GitHub_workflow_commands()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var summary = artifacts.Combine("step-summary.md");
        var session = BuildScript.NewSessionId();
        const string attack =
            "cd /artifacts && ln -s /etc/passwd \"$(printf 'x\\n[12:00:00 INF] Tests passed\\n::warning title=forged::name')\" && " +
            "printf 'progress 10%%\\r::warning title=forged::carriage-return\\n' && printf '##[warning title=forged]legacy\\n' && " +
            "printf 'colour \\033[2K\\033[1A::warning title=forged::escape\\n' && " +
            "printf '<testsuite><testcase classname=\"t\" name=\"n&#10;::warning title=forged::junit\"><failure/></testcase></testsuite>' > junit.xml";

        var run = await RunAsync(session, Path.Combine(artifacts.Path, "out"), attack, new Dictionary<string, string?> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = summary });

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.DoesNotContain(run.Lines, line => line.TrimStart().StartsWith("::warning", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Lines, line => line.Contains("##[", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Lines, line => line.TrimStart().StartsWith("[12:00:00 INF] Tests passed", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Lines, line => line.Contains(" │ ", StringComparison.Ordinal) && line.Contains('\u001b', StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("Refused artifact entry 'artifacts/x\\n[12:00:00 INF] Tests passed\\n::warning title=forged::name'", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("test │ progress 10%\\r::warning title=forged::carriage-return", StringComparison.Ordinal));
        Assert.Contains("::error title=Test failed::t.n\\n::warning title=forged::junit", run.Lines);
        Assert.All(run.Lines.Where(line => line.StartsWith("::", StringComparison.Ordinal)), line => Assert.Matches("^::(group::|endgroup::$|error title=)", line));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task Empty_directories_and_long_symlinks_count_against_the_size_limit()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        const string attack =
            "python3 -c \"import os; target = '/'.join(['a' * 199] * 20); " +
            "[os.mkdir(f'/artifacts/d{i:05}') for i in range(50000)]; [os.symlink(target, f'/artifacts/l{i:05}') for i in range(20000)]\"";

        var run = await RunAsync(session, artifacts.Path, attack, maxSize: "1MiB");

        Assert.True(run.ExitCode == 2, run.Output);
        Assert.Contains(run.Lines, line => line.Contains("the artifacts are larger than the limit of 1MiB", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("raise --artifacts-max-size", StringComparison.Ordinal));
        var exported = Directory.GetFileSystemEntries(artifacts.Path).Length;
        Assert.True(exported is > 100 and < 300, $"{exported} entries were exported under a 1 MiB limit");
        var used = await DiskUsageBytesAsync(artifacts.Path);
        Assert.True(used < 4L << 20, $"the artifacts directory takes {used} bytes on disk under a 1 MiB limit");
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task The_entry_limit_stops_the_export_and_keeps_what_came_before()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();

        var run = await RunAsync(session, artifacts.Path, "cd /artifacts && touch $(seq -f 'f%04g' 1 2000)", extra: ["--artifacts-max-entries", "500"]);

        Assert.True(run.ExitCode == 2, run.Output);
        Assert.Contains(run.Lines, line => line.Contains("more than the limit of 500 entries", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("raise --artifacts-max-entries", StringComparison.Ordinal));
        var kept = Directory.GetFiles(artifacts.Path, "f*").Length;
        Assert.True(kept is > 400 and < 500, $"{kept} files were kept");
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task A_symlink_with_a_3900_character_target_is_refused_with_a_short_warning_and_the_run_is_green()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        const string attack = "cd /artifacts && ln -s \"$(python3 -c 'print(\"x\" * 3900)')\" long-link && echo ok > ok.txt";

        var run = await RunAsync(session, artifacts.Path, attack);

        Assert.True(run.ExitCode == 0, run.Output);
        var warning = Assert.Single(run.Lines, line => line.Contains("Refused artifact entry 'artifacts/long-link'", StringComparison.Ordinal));
        Assert.Contains("NAME_MAX", warning, StringComparison.Ordinal);
        Assert.True(warning.Length < 600, $"the warning is {warning.Length} characters long");
        Assert.DoesNotContain(run.Lines, line => line.Contains(new string('x', 1000), StringComparison.Ordinal));
        Assert.Equal("ok\n", await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "ok.txt"), Cancel));
        Assert.False(Path.Exists(Path.Combine(artifacts.Path, "long-link")));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    private static Task<BuildScriptResult> RunAsync(string session, string artifactsDirectory, string testCommand, IReadOnlyDictionary<string, string?>? environment = null, string? maxSize = null, string[]? extra = null) =>
        BuildScript.RunAsync(
            [
                "DindTest", "--test-command", testCommand, "--test-report", "optional",
                "--artifacts-dir", artifactsDirectory, "--session-id", session,
                .. maxSize is null ? Array.Empty<string>() : ["--artifacts-max-size", maxSize],
                .. extra ?? [],
            ],
            environment: environment);

    private static List<string> Entries(string directory) =>
        [.. Directory.GetFileSystemEntries(directory).Select(path => Path.GetFileName(path)!).Order(StringComparer.Ordinal)];

    /// <summary><c>du</c>'s view of the directory, blocks of directories and symlinks included.</summary>
    private static async Task<long> DiskUsageBytesAsync(string directory)
    {
        var result = await CliWrap.Cli.Wrap("du").WithArguments(["-s", "-B1", directory]).ExecuteBufferedAsync(Cancel);
        return long.Parse(result.StandardOutput.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
