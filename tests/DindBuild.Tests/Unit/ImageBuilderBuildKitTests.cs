using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.ImageBuild;
using DindBuild.Tests.Infrastructure;
using static DindBuild.Tests.Infrastructure.ProtoBytes;

namespace DindBuild.Tests.Unit;

/// <summary>ImageBuilder over a scripted engine: what a person reads when a BuildKit build fails, and what a run leaves behind.</summary>
public sealed class ImageBuilderBuildKitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly FakeEngine _engine = new(DockerEndpoint.UnixSocket("/fake.sock"));
    private readonly CapturingLog _log = new(new SecretMasker());

    [Fact]
    public async Task A_failed_step_is_named_with_its_Dockerfile_line_and_the_tail_of_its_output()
    {
        using var context = Context("FROM alpine\nENV X=1\nRUN echo preparing\nRUN echo 'about to fail' && exit 3\n");
        _engine.BuildMessages =
        [
            Trace([.. Vertex("sha256:r", "[3/3] RUN echo 'about to fail' && exit 3", T0), .. Log("sha256:r", "about to fail\n\u001b[2Kforged\n")]),
            Trace(Vertex("sha256:r", "[3/3] RUN echo 'about to fail' && exit 3", T0, T0.AddSeconds(1), error: "process \"/bin/sh -c echo 'about to fail' && exit 3\" did not complete successfully: exit code: 3")),
            new ProgressMessage(null, "process \"/bin/sh -c echo 'about to fail' && exit 3\" did not complete successfully: exit code: 3"),
        ];

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => Build(context, BuilderKind.BuildKit));

        Assert.Equal(FailureKind.BuildFailed, failure.Kind);
        Assert.Equal(ExitCodes.BuildFailed, ExitCodes.For(failure));
        Assert.Equal($"The image build failed at {Path.GetFileName(context.Path)}/Dockerfile:4 ('[3/3] RUN echo 'about to fail' && exit 3'): process \"/bin/sh -c echo 'about to fail' && exit 3\" did not complete successfully: exit code: 3", failure.WhatFailed);
        Assert.Equal(new SourceLocation(context.Combine("Dockerfile"), 4), failure.Location);
        Assert.Contains("Dockerfile:4: RUN echo 'about to fail' && exit 3", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("about to fail", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("\\x1B[2Kforged", failure.Evidence, StringComparison.Ordinal); // escaped, never raw
        Assert.Contains("#1 about to fail", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_syntax_frontend_is_explained_not_left_as_a_DNS_error()
    {
        using var context = Context("# syntax=docker/dockerfile:1\nFROM alpine\n");
        const string Dns = "failed to resolve source metadata for docker.io/docker/dockerfile:1: failed to do request: Head \"https://registry-1.docker.io/v2/docker/dockerfile/manifests/1\": dial tcp: lookup registry-1.docker.io: no such host";
        _engine.BuildMessages = [new ProgressMessage(null, Dns)];

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => Build(context, BuilderKind.BuildKit));

        Assert.StartsWith("The Dockerfile frontend image docker/dockerfile:1 could not be fetched", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("Dockerfile:1 says '# syntax=docker/dockerfile:1'", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("delete the '# syntax=' line", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("docker pull docker/dockerfile:1", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("no such host", failure.Evidence, StringComparison.Ordinal);
        Assert.Equal(1, failure.Location?.Line);
    }

    [Fact]
    public async Task The_classic_builder_refuses_a_heredoc_instead_of_skipping_its_body()
    {
        using var context = Context("FROM alpine\nRUN <<EOT\nexit 1\nEOT\nCOPY --chmod=755 a /a\n");

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => Build(context, BuilderKind.Classic));

        Assert.Equal(FailureKind.BuildFailed, failure.Kind);
        Assert.Contains("needs BuildKit", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("Dockerfile:2 uses a heredoc in RUN (the classic builder would skip its body and report success)", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("Dockerfile:5: COPY --chmod", failure.Evidence, StringComparison.Ordinal);
        Assert.Equal(0, _engine.Count("image.build"));
    }

    [Fact]
    public async Task The_image_a_tag_named_before_is_removed_when_it_was_an_earlier_runs_and_nothing_else_holds_it()
    {
        using var context = Context("FROM alpine\n");
        var labels = new Dictionary<string, string> { ["org.dindbuild.session"] = "earlier" };
        _engine.AddImage("app:1", labels);
        var before = (await ((IDockerImages)_engine).InspectAsync("app:1", TestContext.Current.CancellationToken))!.Id;
        _engine.BuildMessages = [Trace(Vertex("sha256:f", "[1/1] FROM docker.io/library/alpine", T0, T0))];

        var built = await Build(context, BuilderKind.BuildKit, tag: "app:1");

        Assert.NotEqual(before, built.Id);
        Assert.False(_engine.HasImage(before), "the earlier run's image was left dangling");
        Assert.Equal(1, _engine.Count("image.remove"));
        Assert.Equal(BuilderKind.BuildKit, _engine.LastBuild?.Builder);
    }

    [Fact]
    public async Task An_image_the_user_made_is_never_removed_by_a_build_that_takes_its_tag()
    {
        using var context = Context("FROM alpine\n");
        _engine.AddImage("app:1");

        await Build(context, BuilderKind.BuildKit, tag: "app:1");

        Assert.Equal(0, _engine.Count("image.remove"));
    }

    [Fact]
    public async Task A_trace_that_cannot_be_read_is_skipped_with_one_warning_and_the_build_goes_on()
    {
        using var context = Context("FROM alpine\n");
        _engine.BuildMessages = [new ProgressMessage(null, null) { Trace = [0x0A, 0x7F] }, new ProgressMessage(null, null) { Trace = [0x0F] }, Trace(Vertex("sha256:f", "[1/1] FROM alpine", T0, T0))];

        await Build(context, BuilderKind.BuildKit);

        Assert.Single(_log.Text.Split('\n'), line => line.Contains("could not be read and was skipped", StringComparison.Ordinal));
        Assert.Contains("2 BuildKit progress messages could not be read", _log.Text, StringComparison.Ordinal);
        Assert.Contains("#1 [1/1] FROM alpine", _log.Text, StringComparison.Ordinal);
    }

    private Task<ImageSummary> Build(TempDirectory context, BuilderKind builder, string tag = "t:1") =>
        new ImageBuilder(_engine, _log.Logger, ProgressReporter.Plain(_log.Logger, TimeSpan.FromHours(1)), displayRoot: Path.GetDirectoryName(context.Path))
            .BuildAsync(context.Path, new ImageBuildSpec(tag, "Dockerfile") { Builder = builder, Labels = DindBuild.Sessions.SessionLabels.For("now", "image") }, TestContext.Current.CancellationToken);

    private static TempDirectory Context(string dockerfile)
    {
        var context = new TempDirectory();
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        File.WriteAllText(context.Combine("a"), "a");
        return context;
    }

    private static ProgressMessage Trace(byte[] status) => new(null, null) { Trace = status };
}
