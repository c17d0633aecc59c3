using System.Text.RegularExpressions;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Build snapshots against the real engine, through <c>./build.sh</c> as a team runs it (issue 17: each dind run built
/// the .NET sample from nothing, 17 s, where dood reused the host's build cache). A build step that takes 6 s and
/// writes a random stamp: the second run's image must carry the first run's stamp (its layer came from the
/// snapshot), read from the artifacts the tests exported, and a run with <c>--build-snapshots off</c> must not.
/// The same layer deletes a file and replaces a directory, so the snapshot's copy must keep overlay2's whiteouts.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed partial class BuildSnapshotEngineTests(EngineFixture engine)
{
    private const string DindImage = "dindbuild/dind:trixie";

    private const string KeyLabel = "org.dindbuild.build-key";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_long_build_is_saved_at_teardown_and_the_next_run_builds_from_it_with_its_layers_intact()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        using var artifacts = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\n"
            + "RUN mkdir -p /data/dir && echo old > /data/dir/file && echo gone > /data/gone\n"
            + "RUN sleep 6 && rm /data/gone && rm -r /data/dir && mkdir /data/dir && head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /stamp\n"
            + "CMD [\"sh\", \"-c\", \"test ! -e /data/gone && test -d /data/dir && test ! -e /data/dir/file && cat /stamp > /artifacts/stamp.txt\"]\n", Cancel);
        string? key = null;
        try
        {
            var first = await RunAsync(context, artifacts.Combine("first"));
            var saved = SavedVolume().Match(first.Output);
            Assert.True(saved.Success, "the first run saved no build snapshot:\n" + first.Output);
            var volume = saved.Groups["volume"].Value;
            key = await DockerCli.OutputAsync(["volume", "inspect", "--format", $"{{{{index .Labels \"{KeyLabel}\"}}}}", volume]);
            var marker = await DockerCli.OutputAsync(["run", "--rm", "--network", "none", "-v", $"{volume}:/s:ro", "--entrypoint", "cat", DindImage, "/s/complete"]);
            Assert.StartsWith(volume + "\n", marker, StringComparison.Ordinal);
            var stamp = await StampAsync(artifacts.Combine("first"));

            // Its build step is cached now (under 5 s): it starts from the snapshot and leaves none of its own.
            var second = await RunAsync(context, artifacts.Combine("second"));
            Assert.Contains($"Using the build snapshot {volume}", second.Output.Replace("\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Equal(stamp, await StampAsync(artifacts.Combine("second")));
            Assert.Equal([volume], await VolumesOfKeyAsync(key));

            var off = await RunAsync(context, artifacts.Combine("off"), "--build-snapshots", "off");
            Assert.NotEqual(stamp, await StampAsync(artifacts.Combine("off")));
            Assert.DoesNotContain("build snapshot", off.Output, StringComparison.Ordinal);
            Assert.Equal([volume], await VolumesOfKeyAsync(key));
        }
        finally
        {
            foreach (var left in key is null ? [] : await VolumesOfKeyAsync(key))
            {
                await DockerCli.RunAsync(["volume", "rm", "-f", left]);
            }
        }
    }

    private static async Task<BuildScriptResult> RunAsync(TempDirectory context, string artifactsDirectory, params string[] extra)
    {
        var run = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dind", "--context", context.Path, "--image-tag", "dindbuild-build-snapshot-test:1", "--test-report", "optional", "--artifacts-dir", artifactsDirectory, .. extra]);
        Assert.True(run.ExitCode == 0, run.Output);
        return run;
    }

    /// <summary>The stamp the tests exported; the test command writes it only when the deleted file and the replaced directory's old file are not back.</summary>
    private static async Task<string> StampAsync(string artifactsDirectory)
    {
        var stamp = (await File.ReadAllTextAsync(Path.Combine(artifactsDirectory, "stamp.txt"), Cancel)).Trim();
        Assert.Matches("^[0-9a-f]{16}$", stamp);
        return stamp;
    }

    private static async Task<IReadOnlyList<string>> VolumesOfKeyAsync(string key) =>
        (await DockerCli.OutputAsync(["volume", "ls", "-q", "--filter", $"label={KeyLabel}={key}"])).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex("Saved the build snapshot \"?(?<volume>dindbuild-build-[0-9a-f]{12}-[0-9a-z]+)\"?")]
    private static partial Regex SavedVolume();
}
