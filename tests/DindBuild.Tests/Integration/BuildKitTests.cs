using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Builds with BuildKit (and the classic builder) through ./build.sh against real daemons: the DinD image's Docker 26
/// for heredocs (Docker 20.10's built-in frontend predates them), the host's Docker 20.10 in dood for the rest.
/// Effects are checked through the test container's output, the exit code, the console and the docker CLI.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class BuildKitTests(EngineFixture engine)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dind_BuildKit_runs_heredocs_cache_mounts_chmod_builds_only_needed_stages_and_seeds_COPY_from_and_mount_from_images()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var context = new TempDirectory();
        using var artifacts = new TempDirectory();
        var copyFrom = await TinyImageAsync(harness, "copy-from", "copied.txt", "from-copy-image");
        var mountFrom = await TinyImageAsync(harness, "mount-from", "mounted.txt", "from-mount-image");
        await File.WriteAllTextAsync(context.Combine("tool.sh"), "#!/bin/sh\necho tool\n", Cancel);
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"""
            FROM dindbuild/python:trixie AS unused
            RUN echo unused-stage-ran && exit 1

            FROM dindbuild/python:trixie
            RUN <<EOT
            echo heredoc-ran > /heredoc.txt
            EOT
            RUN --mount=type=cache,target=/var/cache/probe echo cache-mount-ran > /var/cache/probe/x && cp /var/cache/probe/x /cache.txt
            COPY --chmod=751 tool.sh /tool.sh
            COPY --from={copyFrom} /copied.txt /copied.txt
            RUN --mount=type=bind,from={mountFrom},source=/mounted.txt,target=/m.txt cp /m.txt /mounted.txt
            """, Cancel);
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(
        [
            "DindTest", "--context", context.Path, "--session-id", session, "--artifacts-dir", artifacts.Path, "--test-report", "optional",
            "--test-command", "cat /heredoc.txt /cache.txt /copied.txt /mounted.txt > /artifacts/seen.txt && stat -c %a /tool.sh >> /artifacts/seen.txt",
        ]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(["heredoc-ran", "cache-mount-ran", "from-copy-image", "from-mount-image", "751"], await File.ReadAllLinesAsync(artifacts.Combine("seen.txt"), Cancel));
        Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 26.", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains($"Seeded {copyFrom}", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains($"Seeded {mountFrom}", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Lines, line => line.Contains("unused-stage-ran", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("build │ #", StringComparison.Ordinal) && line.Contains("RUN <<EOT", StringComparison.Ordinal));
        Assert.Contains("| Builder | BuildKit |", await File.ReadAllTextAsync(artifacts.Combine("dindbuild-report.md"), Cancel), StringComparison.Ordinal);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task A_heredoc_that_exits_1_fails_the_build_with_exit_code_4_naming_its_line()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nENV A=1\nRUN <<EOT\necho heredoc-started\nexit 1\nEOT\nRUN echo never-reached\n", Cancel);
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--context", context.Path, "--session-id", session]);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains(run.Lines, line => line.Contains($"The image build failed at {context.Combine("Dockerfile")}:3 ('[2/3] RUN <<EOT", StringComparison.Ordinal) && line.Contains("exit code: 1", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Trim() == "heredoc-started");
        Assert.DoesNotContain(run.Lines, line => line.Contains("#", StringComparison.Ordinal) && line.EndsWith(" never-reached", StringComparison.Ordinal));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task A_failing_RUN_step_is_reported_on_the_console_with_its_Dockerfile_line_and_output()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nENV A=1\nLABEL b=2\nRUN echo visible-output \\\n && exit 3\n", Cancel);
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--context", context.Path, "--session-id", session]);

        Assert.Equal(4, run.ExitCode);
        var dockerfile = context.Combine("Dockerfile");
        Assert.Contains(run.Lines, line => line.Contains($"The image build failed at {dockerfile}:4 ('[2/2] RUN echo visible-output  && exit 3'):", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Trim() == $"{dockerfile}:4: RUN echo visible-output  && exit 3");
        Assert.Contains(run.Lines, line => line.Trim() == "visible-output");
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task The_classic_builder_still_builds_the_sample_and_refuses_a_heredoc_up_front()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var classic = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--builder", "classic", "--artifacts-dir", artifacts.Path]);

        Assert.True(classic.ExitCode == 0, classic.Output);
        Assert.Contains(classic.Lines, line => line.Contains("Builder: classic (--builder classic)", StringComparison.Ordinal));
        Assert.Contains(classic.Lines, line => line.Contains("build │ Step 1/", StringComparison.Ordinal));
        Assert.Equal(0, JUnitReport.Load(artifacts.Combine("junit.xml")).Failures);

        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nRUN <<EOT\nexit 1\nEOT\n", Cancel);
        var heredoc = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--builder", "classic", "--context", context.Path]);

        Assert.Equal(4, heredoc.ExitCode);
        Assert.Contains("needs BuildKit, and the classic builder was chosen", heredoc.Output, StringComparison.Ordinal);
        Assert.Contains("would skip its body and report success", heredoc.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(heredoc.Lines, line => line.Contains("build │ Step", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_dood_builds_of_the_same_context_leave_no_dangling_session_image_and_the_image_carries_the_session_labels()
    {
        engine.RequireEngine();
        var tag = $"dindbuild-test-labels:{Guid.NewGuid():N}"[..40];
        string[] sessions = [BuildScript.NewSessionId(), BuildScript.NewSessionId()];
        try
        {
            foreach (var session in sessions)
            {
                using var artifacts = new TempDirectory();
                var run = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--image-tag", tag, "--session-id", session, "--artifacts-dir", artifacts.Path]);
                Assert.True(run.ExitCode == 0, run.Output);
            }

            foreach (var session in sessions)
            {
                Assert.Equal("", await DockerCli.OutputAsync(["images", "-q", "--filter", "dangling=true", "--filter", $"label=org.dindbuild.session={session}"]));
            }

            Assert.Equal("", await DockerCli.OutputAsync(["images", "-aq", "--filter", $"label=org.dindbuild.session={sessions[0]}"]));
            var labels = await DockerCli.OutputAsync(["image", "inspect", "--format", "{{index .Config.Labels \"org.dindbuild.session\"}} {{index .Config.Labels \"org.dindbuild.role\"}}", tag]);
            Assert.Equal($"{sessions[1]} image", labels);

            // Labels come from the build API, not as a LABEL step of the image's history.
            var history = await DockerCli.OutputAsync(["history", "--no-trunc", "--format", "{{.CreatedBy}}", tag]);
            Assert.DoesNotContain("org.dindbuild.session", history, StringComparison.Ordinal);
        }
        finally
        {
            await DockerCli.RunAsync(["rmi", tag]);
        }
    }

    [Fact]
    public async Task An_offline_syntax_frontend_is_explained_with_how_to_fix_it()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "# syntax=docker/dockerfile:1\nFROM dindbuild/python:trixie\nRUN true\n", Cancel);

        var run = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--context", context.Path]);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains(run.Lines, line => line.Contains("The Dockerfile frontend image docker/dockerfile:1 could not be fetched", StringComparison.Ordinal) && line.Contains("Dockerfile:1 says '# syntax=docker/dockerfile:1'", StringComparison.Ordinal));
        Assert.Contains("delete the '# syntax=' line to build with the daemon's built-in Dockerfile frontend", run.Output, StringComparison.Ordinal);
    }

    /// <summary>A one-file image on the host engine, labelled with the harness (removed with it), that only this test uses.</summary>
    private static async Task<string> TinyImageAsync(Harness harness, string name, string file, string content)
    {
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine(file), content + "\n", Cancel);
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"FROM scratch\nCOPY {file} /{file}\n", Cancel);
        var image = $"dindbuild-test/{name}:{harness.Id}";
        await DockerCli.OutputAsync(["build", "-q", "--label", harness.Label, "-t", image, context.Path]);
        harness.RemoveImageAfterwards(image);
        return image;
    }
}
