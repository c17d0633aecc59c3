using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.ImageBuild;
using DindBuild.ImageBuild.BuildKit;
using DindBuild.Settings;

namespace DindBuild.Tests.Unit;

/// <summary>What the Dockerfile says about a BuildKit build: step lines, the images it pulls, the stages it needs, the syntax only BuildKit reads.</summary>
public sealed class DockerfileBuildKitTests
{
    private const string MultiStage = """
        # syntax=docker/dockerfile:1
        ARG BASE=dindbuild/python:trixie
        FROM ${BASE} AS broken
        RUN exit 7

        FROM ${BASE}
        ENV A=1
        WORKDIR /app
        LABEL x=y
        ARG Q=2
        RUN echo one \
          && echo two
        COPY Dockerfile /d
        RUN echo before; exit 3
        """;

    [Theory]
    // Numbers count FROM, WORKDIR, RUN, COPY, ADD only (measured on Docker 20.10 and 26); unnamed stage of two = stage-1.
    [InlineData("[stage-1 1/5] FROM docker.io/dindbuild/python:trixie", 6)]
    [InlineData("[stage-1 2/5] WORKDIR /app", 8)]
    [InlineData("[stage-1 3/5] RUN echo one   && echo two", 11)]
    [InlineData("[stage-1 5/5] RUN echo before; exit 3", 14)]
    [InlineData("[broken 2/2] RUN exit 7", 4)]
    [InlineData("[linux/amd64 broken 2/2] RUN exit 7", 4)]
    public void A_step_name_leads_to_its_Dockerfile_line(string vertex, int line)
    {
        Assert.Equal(line, VertexLocator.LineOf(MultiStage, vertex));
    }

    [Theory]
    [InlineData("[internal] load metadata for docker.io/library/alpine:3")]
    [InlineData("exporting to image")]
    [InlineData("[stage-1 4/5] RUN not what is there")] // step 4 is a COPY: no line rather than a wrong one
    [InlineData("[nosuchstage 1/1] FROM x")]
    [InlineData("[stage-1 9/9] RUN x")]
    [InlineData("[2/2] RUN exit 7")] // no stage named, but the Dockerfile has two
    public void Names_that_do_not_match_the_Dockerfile_give_no_line(string vertex)
    {
        Assert.Null(VertexLocator.LineOf(MultiStage, vertex));
    }

    [Fact]
    public void A_single_stage_step_has_no_stage_in_its_name()
    {
        Assert.Equal(3, VertexLocator.LineOf("from alpine\n# comment\nrun <<EOT\nexit 1\nEOT\n", "[2/2] RUN <<EOT (exit 1)"));
    }

    [Fact]
    public void Images_named_by_COPY_from_and_RUN_mount_from_are_needed_like_FROM_images()
    {
        var dockerfile = """
            ARG TOOLS=example/tools:2
            FROM golang:1.23 AS build
            COPY --from=${TOOLS} /bin/tool /usr/bin/
            RUN --mount=type=cache,target=/root/.cache --mount=type=bind,from=example/assets:1,source=/a,target=/a make
            FROM build AS test
            COPY --from=build /out /out
            COPY --from=0 /out /out2
            COPY --from=later /x /x
            FROM alpine AS later
            """;

        Assert.Equal(["golang:1.23", "example/tools:2", "example/assets:1", "alpine:latest"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void With_BuildKit_only_the_images_of_the_stages_the_target_needs_are_needed()
    {
        var dockerfile = """
            FROM example.invalid/not-needed:1 AS unused
            RUN exit 1
            FROM example/base:1 AS deps
            FROM example/other:1 AS assets
            FROM deps AS app
            COPY --from=assets /a /a
            RUN --mount=from=example/mounted:1,target=/m true
            FROM example/final:1 AS final
            """;

        Assert.Equal(["example/base:1", "example/other:1", "example/mounted:1"], DockerfileBaseImages.Parse(dockerfile, neededFor: "app"));
        Assert.Equal(["example/final:1"], DockerfileBaseImages.Parse(dockerfile, neededFor: DockerfileBaseImages.LastStage));
        Assert.Equal(5, DockerfileBaseImages.Parse(dockerfile).Count);
    }

    [Fact]
    public void BuildKit_only_syntax_is_found_with_its_lines()
    {
        var found = DockerfileBuildKitFeatures.Find("""
            FROM alpine
            RUN <<EOT
            exit 1
            EOT
            RUN --mount=type=cache,target=/c --network=none true
            COPY --chmod=755 --chown=1:1 a /a
            ADD --link b /b
            RUN echo "--mount is only text here"
            """);

        Assert.Equal([(2, "a heredoc in RUN"), (5, "RUN --mount"), (5, "RUN --network"), (6, "COPY --chmod"), (7, "ADD --link")], found);
    }

    [Fact]
    public void The_syntax_directive_names_the_frontend_image()
    {
        Assert.Equal("docker/dockerfile:1", SyntaxFrontend.ImageOf(MultiStage));
        Assert.Null(SyntaxFrontend.ImageOf("FROM alpine\n# syntax=docker/dockerfile:1\n"));
    }

    [Theory]
    [InlineData(BuilderChoice.Auto, "1.45", "linux", BuilderKind.BuildKit)]
    [InlineData(BuilderChoice.Auto, "1.41", "linux", BuilderKind.BuildKit)]
    [InlineData(BuilderChoice.Auto, "1.44", "windows", BuilderKind.Classic)]
    [InlineData(BuilderChoice.Classic, "1.45", "linux", BuilderKind.Classic)]
    [InlineData(BuilderChoice.BuildKit, "1.41", "linux", BuilderKind.BuildKit)]
    public void The_builder_is_BuildKit_where_the_daemon_has_it_unless_told_otherwise(BuilderChoice choice, string api, string os, BuilderKind expected)
    {
        var (builder, reason) = BuilderSelection.Resolve(choice, new EngineVersion("x", api, "1.12", os, "amd64"));

        Assert.Equal(expected, builder);
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void BuildKit_asked_of_a_daemon_without_it_is_an_error_that_says_what_to_use()
    {
        var failure = Assert.Throws<DindBuildException>(() => BuilderSelection.Resolve(BuilderChoice.BuildKit, new EngineVersion("25.0", "1.44", "1.24", "windows", "amd64")));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("has no BuildKit", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--builder auto", failure.HowToFix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FROM x\nRUN --mount=type=secret,id=a cat /run/secrets/a\n", true)]
    [InlineData("FROM x\nRUN --network=none --mount=id=a,type=secret,required=true true\n", true)]
    [InlineData("FROM x\nrun --mount=type=cache,target=/c true\n", false)]
    [InlineData("FROM x\nRUN echo --mount=type=secret\n", false)]
    [InlineData("FROM x\nCOPY --mount=type=secret a b\n", false)]
    public void A_secret_mount_is_found_in_RUN_flags_only(string dockerfile, bool mounts) =>
        Assert.Equal(mounts, DindBuild.ImageBuild.DockerfileBuildKitFeatures.MountsSecrets(dockerfile));
}
