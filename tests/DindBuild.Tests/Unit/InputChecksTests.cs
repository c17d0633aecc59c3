using DindBuild.Diagnostics;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>Inputs that can never work are refused, all together, before any daemon starts.</summary>
public sealed class InputChecksTests : IDisposable
{
    private const string MultiStage = """
        FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
        RUN dotnet build

        FROM build AS test
        RUN dotnet test

        FROM mcr.microsoft.com/dotnet/runtime:10.0 AS final
        """;

    private readonly TempDirectory _repository = new();

    public InputChecksTests()
    {
        Directory.CreateDirectory(_repository.Combine("app", "docker"));
        File.WriteAllText(_repository.Combine("app", "Dockerfile"), MultiStage);
        File.WriteAllText(_repository.Combine("README.md"), "not a Dockerfile");
    }

    public void Dispose() => _repository.Dispose();

    private DindSettings Settings => new DindSettings(_repository.Path).WithContextDirectory("app").WithHostArtifactsDirectory("out/artifacts");

    [Fact]
    public void Good_inputs_pass_and_the_artifacts_directory_is_created_without_a_probe_left_behind()
    {
        InputChecks.ThrowIfInvalid(Settings.WithTargetStage("TEST"), InputCheckScope.All);

        Assert.True(Directory.Exists(_repository.Combine("out", "artifacts")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_repository.Combine("out", "artifacts")));
    }

    [Fact]
    public void A_missing_context_shows_the_resolved_path_and_that_relative_paths_are_under_the_repository_root()
    {
        var failure = Check(Settings.WithContextDirectory("ap"), InputCheckScope.Build);

        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Contains($"The build context directory {_repository.Combine("ap")} does not exist", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains($"repository root {_repository.Path}", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("directories in it: app", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--context", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_Dockerfile_lists_the_Dockerfile_like_files_that_exist()
    {
        File.WriteAllText(_repository.Combine("app", "Dockerfile.ci"), "FROM alpine");
        File.WriteAllText(_repository.Combine("app", "docker", "api.Dockerfile"), "FROM alpine");
        File.WriteAllText(_repository.Combine("app", "Dockerfile.dockerignore"), "bin/");
        File.WriteAllText(_repository.Combine("app", "notes.txt"), "");

        var failure = Check(Settings.WithDockerfile("Dockerfile.test"), InputCheckScope.Build);

        Assert.Contains($"The Dockerfile {_repository.Combine("app", "Dockerfile.test")} does not exist", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains($"Dockerfile, Dockerfile.ci, {Path.Combine("docker", "api.Dockerfile")}", failure.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain("dockerignore", failure.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain("notes.txt", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--dockerfile Dockerfile", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_stage_the_Dockerfile_does_not_have_lists_the_stages()
    {
        var failure = Check(Settings.WithTargetStage("tests"), InputCheckScope.Build);

        Assert.Contains("--target-stage 'tests' is not a stage of", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("build (line 1, FROM mcr.microsoft.com/dotnet/sdk:10.0), test (line 4, FROM build), final (line 7, FROM mcr.microsoft.com/dotnet/runtime:10.0)", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("'build', 'test', 'final'", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public void An_artifacts_directory_under_a_regular_file_is_not_writable_even_for_root()
    {
        File.WriteAllText(_repository.Combine("somefile"), "");

        var failure = Check(Settings.WithHostArtifactsDirectory("somefile/artifacts"), InputCheckScope.Artifacts);

        Assert.Contains($"The artifacts directory {_repository.Combine("somefile", "artifacts")} is not writable: {_repository.Combine("somefile")} is a file", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("--artifacts-dir", failure.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void An_artifacts_path_that_is_a_file_is_not_writable()
    {
        File.WriteAllText(_repository.Combine("artifacts.tar"), "");

        var failure = Check(Settings.WithHostArtifactsDirectory("artifacts.tar"), InputCheckScope.Artifacts);

        Assert.Contains("it is a file, not a directory", failure.WhatFailed, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_in_one_error()
    {
        File.WriteAllText(_repository.Combine("somefile"), "");
        var settings = Settings.WithDockerfile("Containerfile").WithHostArtifactsDirectory("somefile/artifacts");

        var failure = Check(settings, InputCheckScope.All);

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.StartsWith("2 inputs are invalid", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("1. The Dockerfile", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("2. The artifacts directory", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("1. give '--dockerfile'", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("2. give '--artifacts-dir'", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_inputs_in_scope_are_checked()
    {
        File.WriteAllText(_repository.Combine("somefile"), "");
        var settings = Settings.WithContextDirectory("missing").WithHostArtifactsDirectory("somefile/artifacts");

        Assert.Contains("artifacts", Check(settings, InputCheckScope.Artifacts).WhatFailed, StringComparison.Ordinal);
        Assert.Contains("context", Check(settings, InputCheckScope.Build).WhatFailed, StringComparison.Ordinal);
        InputChecks.ThrowIfInvalid(settings, InputCheckScope.None);
    }

    private static DindBuildException Check(DindSettings settings, InputCheckScope scope) =>
        Assert.Throws<DindBuildException>(() => InputChecks.ThrowIfInvalid(settings, scope));
}
