using DindBuild.Diagnostics;

namespace DindBuild.Reporting;

/// <summary>
/// What the CI system running the build understands beyond plain lines: foldable groups per step,
/// failure annotations, a job summary. Detected from the environment, as each system documents it.
/// </summary>
public abstract class CiOutput
{
    public abstract string Name { get; }

    /// <summary>The CI system the environment names: GitHub Actions (GITHUB_ACTIONS=true), GitLab CI (GITLAB_CI=true), else plain output.</summary>
    public static CiOutput Detect(Func<string, string?> environment, TextWriter console)
    {
        if (string.Equals(environment("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return new GitHubActionsOutput(console, environment("GITHUB_STEP_SUMMARY"));
        }

        if (string.Equals(environment("GITLAB_CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return new GitLabCiOutput(console);
        }

        return new PlainOutput();
    }

    public virtual void BeginStep(string step)
    {
    }

    public virtual void EndStep(string step)
    {
    }

    /// <summary>A failure, where the CI system shows it outside the log (an annotation), at a file's line when given.</summary>
    public virtual void Failure(string title, string message, SourceLocation? location = null)
    {
    }

    /// <summary>The run's Markdown summary, where the CI system shows one on the job page.</summary>
    public virtual void Summary(string markdown)
    {
    }
}

/// <summary>No CI system recognised: the log lines are all there is.</summary>
public sealed class PlainOutput : CiOutput
{
    public override string Name => "plain";
}
