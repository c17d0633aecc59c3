using DindBuild.Diagnostics;
using DindBuild.Settings;
using DindBuild.Testing;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>A run that reports no tests is not green, and the error says why there was no report.</summary>
public sealed class MissingTestReportTests : IDisposable
{
    private readonly TempDirectory _repository = new();

    public MissingTestReportTests() => Directory.CreateDirectory(_repository.Combine("app"));

    public void Dispose() => _repository.Dispose();

    private DindSettings Settings(string dockerfile)
    {
        File.WriteAllText(_repository.Combine("app", "Dockerfile"), dockerfile);
        return new DindSettings(_repository.Path).WithContextDirectory("app").WithHostArtifactsDirectory("artifacts");
    }

    [Fact]
    public void A_multi_stage_Dockerfile_built_to_its_last_stage_is_named_as_the_likely_cause()
    {
        var settings = Settings("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build\nFROM build AS test\nRUN dotnet test\nFROM mcr.microsoft.com/dotnet/runtime:10.0 AS final\n");

        var failure = MissingTestReport.Error(settings, "/artifacts");

        Assert.Equal(ExitCodes.TestsFailed, ExitCodes.For(failure));
        Assert.Equal("The tests produced no test report in /artifacts: a run that reports no tests is not green.", failure.WhatFailed);
        Assert.Contains("test command: the image's CMD", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains(
            "no --target-stage: the last stage 'final' was built; stages: build (line 1, FROM mcr.microsoft.com/dotnet/sdk:10.0), test (line 2, FROM build), final (line 4, FROM mcr.microsoft.com/dotnet/runtime:10.0)",
            failure.Evidence,
            StringComparison.Ordinal);
        Assert.Contains("--target-stage test", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("dotnet test --logger \"trx;LogFileName=/artifacts/tests.trx\"", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("pytest --junitxml=/artifacts/junit.xml", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("--test-report optional", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_stage_run_shows_the_command_and_what_was_exported_instead()
    {
        var settings = Settings("FROM python:3.13\nCMD [\"pytest\"]\n").WithTestCommand("pytest -q tests/");
        Directory.CreateDirectory(_repository.Combine("artifacts", "reports"));
        File.WriteAllText(_repository.Combine("artifacts", "reports", "coverage.xml"), "<coverage/>");

        var failure = MissingTestReport.Error(settings, "/out");

        Assert.Contains("no test report in /out", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("test command: pytest -q tests/", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains($"1 file(s), none a JUnit or TRX report: {Path.Combine("reports", "coverage.xml")}", failure.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain("--target-stage", failure.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain("--target-stage", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("pytest --junitxml=/out/junit.xml", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public void No_stage_is_suggested_when_the_last_stage_built_is_already_the_test_stage()
    {
        var settings = Settings("FROM alpine AS build\nFROM build AS unit-tests\n");

        var failure = MissingTestReport.Error(settings, "/artifacts");

        Assert.Contains("the last stage 'unit-tests' was built", failure.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain("--target-stage", failure.HowToFix, StringComparison.Ordinal);
        Assert.Contains("exported to " + _repository.Combine("artifacts") + ": no files", failure.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chosen_target_stage_is_shown_and_an_unreadable_Dockerfile_does_not_hide_the_error()
    {
        var settings = Settings("FROM alpine AS a\nFROM alpine AS b\n").WithTargetStage("a");
        var withoutDockerfile = settings.WithDockerfile("missing/Dockerfile");

        Assert.Contains("--target-stage: 'a' was built", MissingTestReport.Error(settings, "/artifacts").Evidence, StringComparison.Ordinal);
        Assert.Contains("exported to", MissingTestReport.Error(withoutDockerfile.WithTargetStage(null), "/artifacts").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_report_parameter_is_required_by_default_and_can_be_made_optional()
    {
        static DindSettings Read(params string[] values) =>
            DindParameters.Read("/repo", name => name == "test-report" ? values : [], _ => null);

        Assert.True(Read().TestReportRequired);
        Assert.False(Read("optional").TestReportRequired);
        Assert.True(Read("Required").TestReportRequired);
        var failure = Assert.Throws<DindBuildException>(() => Read("sometimes"));
        Assert.Contains("--test-report: 'sometimes' is not one of required|optional", failure.Evidence, StringComparison.Ordinal);
    }
}
