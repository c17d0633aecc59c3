using DindBuild.ImageBuild;
using Xunit;

namespace DindBuild.Tests.Unit;

public sealed class DockerfileBaseImagesTests
{
    [Theory]
    [InlineData("FROM alpine", "alpine:latest")]
    [InlineData("FROM alpine:3.20", "alpine:3.20")]
    [InlineData("FROM library/alpine", "library/alpine:latest")]
    [InlineData("FROM ghcr.io/org/tool:v1.2", "ghcr.io/org/tool:v1.2")]
    [InlineData("FROM localhost:5000/img", "localhost:5000/img:latest")]
    [InlineData("FROM localhost:5000/team/img:1.0", "localhost:5000/team/img:1.0")]
    [InlineData("FROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("FROM alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("FROM localhost:5000/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "localhost:5000/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Normalises_only_references_without_a_tag_or_digest(string dockerfile, string expected)
    {
        Assert.Equal([expected], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Stage_references_are_not_external_images()
    {
        const string dockerfile = """
            FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
            RUN dotnet publish
            FROM build as test
            FROM Build AS again
            FROM mcr.microsoft.com/dotnet/runtime:10.0 AS final
            COPY --from=build /out /app
            """;

        Assert.Equal(
            ["mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/runtime:10.0"],
            DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void A_stage_name_only_counts_after_it_is_defined()
    {
        // "base" is used as an image before any stage takes that name, so Docker pulls it.
        const string dockerfile = """
            FROM base
            FROM alpine AS base
            FROM base
            """;

        Assert.Equal(["base:latest", "alpine:latest"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Scratch_is_excluded()
    {
        const string dockerfile = """
            FROM golang:1.23 AS build
            FROM scratch
            COPY --from=build /app /app
            """;

        Assert.Equal(["golang:1.23"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void From_is_case_insensitive_and_platform_flags_are_skipped()
    {
        const string dockerfile = """
            from --platform=$BUILDPLATFORM golang:1.23 as build
            From --platform=linux/arm64 debian:bookworm
            """;

        Assert.Equal(["golang:1.23", "debian:bookworm"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Images_are_distinct_in_order_of_first_use()
    {
        const string dockerfile = """
            FROM node:22 AS a
            FROM python:3.13 AS b
            FROM node:22 AS c
            FROM python:3.13
            FROM alpine
            FROM alpine:latest
            """;

        Assert.Equal(["node:22", "python:3.13", "alpine:latest"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Handles_comments_and_line_continuations()
    {
        const string dockerfile = """
            # syntax=docker/dockerfile:1
            # FROM commented:out
              # FROM indented-comment:out
            FROM \
              # a comment inside the continuation is dropped
              --platform=linux/amd64 \

              ubuntu:24.04 \
              AS base
            RUN echo FROM not-an-instruction:1 \
                && echo done
            FROM base
            """;

        Assert.Equal(["ubuntu:24.04"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Handles_windows_line_endings_and_trailing_whitespace_after_the_escape()
    {
        var dockerfile = "FROM \\  \r\n  alpine:3.19 AS x\r\nFROM x\r\n";

        Assert.Equal(["alpine:3.19"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Honours_the_escape_parser_directive()
    {
        const string dockerfile = """
            # escape=`
            FROM mcr.microsoft.com/windows/servercore:ltsc2022 `
                AS base
            RUN dir C:\
            FROM base
            """;

        Assert.Equal(["mcr.microsoft.com/windows/servercore:ltsc2022"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Ignores_from_lines_inside_heredocs()
    {
        const string dockerfile = """
            FROM alpine:3.20
            RUN <<EOF
            FROM inside-heredoc:1
            EOF
            COPY <<-"GEN" /Dockerfile.generated
            	FROM inside-quoted-heredoc:1
            	GEN
            FROM debian:12
            """;

        Assert.Equal(["alpine:3.20", "debian:12"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Substitutes_global_arg_defaults_in_all_syntaxes()
    {
        const string dockerfile = """
            ARG REGISTRY=registry.example.com:5000
            ARG NODE_VERSION=22
            ARG DISTRO="bookworm"
            ARG EMPTY=
            FROM ${REGISTRY}/node:${NODE_VERSION}-$DISTRO AS one
            FROM ${UNDECLARED:-busybox}:${EMPTY:-1.36}
            FROM ${REGISTRY}/tools
            """;

        Assert.Equal(
            ["registry.example.com:5000/node:22-bookworm", "busybox:1.36", "registry.example.com:5000/tools:latest"],
            DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Arg_defaults_can_use_earlier_args_and_several_args_per_line()
    {
        const string dockerfile = """
            ARG BASE=debian VERSION=12
            ARG IMAGE=${BASE}:${VERSION}-slim
            FROM $IMAGE
            """;

        Assert.Equal(["debian:12-slim"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Build_args_override_defaults()
    {
        const string dockerfile = """
            ARG VERSION=3.19
            ARG FLAVOUR
            FROM alpine:${VERSION}
            FROM ${FLAVOUR:-debian}:stable
            """;
        var buildArgs = new Dictionary<string, string> { ["VERSION"] = "3.21", ["FLAVOUR"] = "ubuntu" };

        Assert.Equal(["alpine:3.21", "ubuntu:stable"], DockerfileBaseImages.Parse(dockerfile, buildArgs));
    }

    [Fact]
    public void Build_args_for_undeclared_names_do_not_reach_from_lines()
    {
        // Matches Docker: a --build-arg only applies to an ARG the Dockerfile declares.
        const string dockerfile = "FROM ${IMAGE:-alpine}";
        var buildArgs = new Dictionary<string, string> { ["IMAGE"] = "ubuntu" };

        Assert.Equal(["alpine:latest"], DockerfileBaseImages.Parse(dockerfile, buildArgs));
    }

    [Fact]
    public void Args_declared_inside_a_stage_do_not_affect_later_from_lines()
    {
        const string dockerfile = """
            ARG TAG=1
            FROM busybox:${TAG}
            ARG TAG=2
            FROM alpine:${TAG}
            """;

        Assert.Equal(["busybox:1", "alpine:1"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Unset_and_empty_args_are_distinguished_by_the_dash_forms()
    {
        const string dockerfile = """
            ARG UNSET
            ARG EMPTY=
            FROM img${UNSET-a}${EMPTY-b}${EMPTY:-c}${UNSET:+d}${EMPTY+e}
            """;

        Assert.Equal(["imgace:latest"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Escaped_dollar_and_single_quotes_are_not_substituted()
    {
        const string dockerfile = """
            ARG A=x
            ARG LITERAL='$A'
            FROM img-$LITERAL-\$A
            """;

        Assert.Equal(["img-$A-$A:latest"], DockerfileBaseImages.Parse(dockerfile));
    }

    [Fact]
    public void Automatic_platform_args_come_from_build_args_without_a_declaration()
    {
        var buildArgs = new Dictionary<string, string> { ["TARGETARCH"] = "arm64" };

        Assert.Equal(["example/tool:arm64"], DockerfileBaseImages.Parse("FROM example/tool:${TARGETARCH}", buildArgs));
    }

    [Fact]
    public void Empty_or_instruction_free_text_yields_nothing()
    {
        Assert.Empty(DockerfileBaseImages.Parse(""));
        Assert.Empty(DockerfileBaseImages.Parse("# just a comment\n\n"));
        Assert.Empty(DockerfileBaseImages.Parse("FROM\nFROM --platform=linux/amd64\nFROM ${NOTHING}"));
    }

    [Fact]
    public void A_builder_step_number_maps_to_the_line_its_instruction_starts_on()
    {
        const string dockerfile = "# syntax=docker/dockerfile:1\n# escape=`\nFROM base\n\n# a comment\nRUN echo one `\n    two\n  # inside\nCOPY . /app\nRUN make\n";

        Assert.Equal(3, DockerfileBaseImages.LineOfInstruction(dockerfile, 1));
        Assert.Equal(6, DockerfileBaseImages.LineOfInstruction(dockerfile, 2));
        Assert.Equal(9, DockerfileBaseImages.LineOfInstruction(dockerfile, 3));
        Assert.Equal(10, DockerfileBaseImages.LineOfInstruction(dockerfile, 4));
        Assert.Null(DockerfileBaseImages.LineOfInstruction(dockerfile, 5));
    }
}
