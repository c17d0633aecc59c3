using DindBuild.ImageBuild;

namespace DindBuild.Tests.Unit;

public sealed class DockerfileStagesTests
{
    [Fact]
    public void Every_FROM_is_a_stage_with_its_name_image_and_line()
    {
        const string dockerfile = """
            # syntax=docker/dockerfile:1
            ARG SDK=mcr.microsoft.com/dotnet/sdk:10.0
            FROM --platform=$BUILDPLATFORM ${SDK} AS build
            RUN dotnet publish -o /out

            # the tests run in their own stage
            from build as Test
            RUN dotnet test

            FROM alpine:3.20
            FROM mcr.microsoft.com/dotnet/runtime:10.0 AS final
            COPY --from=build /out /app
            """;

        Assert.Equal(
            [
                new DockerfileStage(0, "build", "${SDK}", 3),
                new DockerfileStage(1, "Test", "build", 7),
                new DockerfileStage(2, null, "alpine:3.20", 10),
                new DockerfileStage(3, "final", "mcr.microsoft.com/dotnet/runtime:10.0", 11),
            ],
            DockerfileStages.Parse(dockerfile));
    }

    [Fact]
    public void Continuations_comments_heredocs_and_the_escape_directive_are_followed()
    {
        const string dockerfile = """
            # escape=`
            FROM `
              # a comment inside the instruction
              mcr.microsoft.com/windows/servercore:ltsc2022 `
              AS build
            RUN <<EOF
            FROM not-a-stage
            EOF
            FROM build AS test
            """;

        Assert.Equal(
            [new DockerfileStage(0, "build", "mcr.microsoft.com/windows/servercore:ltsc2022", 2), new DockerfileStage(1, "test", "build", 9)],
            DockerfileStages.Parse(dockerfile.ReplaceLineEndings("\r\n")));
    }

    [Fact]
    public void A_FROM_without_an_image_and_a_Dockerfile_without_FROM_give_no_stage()
    {
        Assert.Empty(DockerfileStages.Parse("FROM --platform=linux/amd64\nRUN true\n"));
        Assert.Empty(DockerfileStages.Parse(""));
    }

    [Fact]
    public void Describe_names_each_stage_with_its_line_and_base_and_unnamed_ones_by_index()
    {
        var stages = DockerfileStages.Parse("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build\nFROM build AS test\nFROM alpine\n");

        Assert.Equal("build (line 1, FROM mcr.microsoft.com/dotnet/sdk:10.0), test (line 2, FROM build), #2 (line 3, FROM alpine)", DockerfileStages.Describe(stages));
        Assert.Equal("(no FROM line)", DockerfileStages.Describe([]));
    }
}
