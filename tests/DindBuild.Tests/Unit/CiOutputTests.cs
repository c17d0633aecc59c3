using DindBuild.Diagnostics;
using DindBuild.Reporting;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

public sealed class CiOutputTests
{
    [Fact]
    public void The_ci_system_is_detected_from_its_own_environment_variables()
    {
        Assert.IsType<GitHubActionsOutput>(CiOutput.Detect(Environment(("GITHUB_ACTIONS", "true")), TextWriter.Null));
        Assert.IsType<GitLabCiOutput>(CiOutput.Detect(Environment(("GITLAB_CI", "true")), TextWriter.Null));
        Assert.IsType<PlainOutput>(CiOutput.Detect(Environment(("CI", "true")), TextWriter.Null));
        Assert.IsType<PlainOutput>(CiOutput.Detect(Environment(("GITHUB_ACTIONS", "false")), TextWriter.Null));
    }

    [Fact]
    public void GitHub_workflow_commands_are_escaped_so_a_message_cannot_end_or_forge_a_command()
    {
        var console = new StringWriter();
        var github = new GitHubActionsOutput(console, summaryFile: null);

        github.BeginStep("RunTests");
        github.EndStep("RunTests");
        github.Failure("DindBuild: RunTests failed, badly", "100% failed\n::error::forged\r\nend");

        Assert.Equal(
            ["::group::RunTests", "::endgroup::", "::error title=DindBuild%3A RunTests failed%2C badly::100%25 failed%0A\\x3A:error::forged%0Aend"],
            console.ToString().Split(System.Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_GitHub_annotation_can_point_at_a_line_of_a_file()
    {
        var console = new StringWriter();

        new GitHubActionsOutput(console, summaryFile: null).Failure("DindBuild: BuildImage failed", "The image build failed", new SourceLocation("src/app,v2/Dockerfile", 7));

        Assert.Equal("::error file=src/app%2Cv2/Dockerfile,line=7,title=DindBuild%3A BuildImage failed::The image build failed", console.ToString().TrimEnd());
    }

    [Fact]
    public void The_GitHub_step_summary_is_appended_to_not_overwritten()
    {
        using var directory = new TempDirectory();
        var summary = directory.Combine("summary.md");
        File.WriteAllText(summary, "earlier step\n");

        new GitHubActionsOutput(TextWriter.Null, summary).Summary("## DindBuild run");

        Assert.Equal("earlier step\n## DindBuild run\n", File.ReadAllText(summary));
    }

    [Fact]
    public void GitLab_sections_carry_the_unix_time_and_a_name_GitLab_accepts()
    {
        var console = new StringWriter();
        var at = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var gitlab = new GitLabCiOutput(console, () => at);

        gitlab.BeginStep("Run Tests!");
        gitlab.EndStep("Run Tests!");

        Assert.Equal(
            ["\u001b[0Ksection_start:1800000000:dindbuild_run_tests_\r\u001b[0KRun Tests!", "\u001b[0Ksection_end:1800000000:dindbuild_run_tests_\r\u001b[0K"],
            console.ToString().Split(System.Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(variable => variable.Name == name).Value;
}
