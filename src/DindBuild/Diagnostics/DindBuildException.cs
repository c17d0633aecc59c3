namespace DindBuild.Diagnostics;

/// <summary>
/// A failure a user can act on: the message always says what failed, shows the evidence that was
/// collected, and says how to fix or opt out. <see cref="Kind"/> lets a CI system retry
/// infrastructure failures only.
/// </summary>
public class DindBuildException : Exception
{
    public DindBuildException(FailureKind kind, string whatFailed, string? evidence = null, string? howToFix = null, Exception? inner = null)
        : base(Compose(whatFailed, evidence, howToFix), inner)
    {
        Kind = kind;
        WhatFailed = whatFailed;
        Evidence = evidence;
        HowToFix = howToFix;
    }

    public FailureKind Kind { get; }

    public string WhatFailed { get; }

    public string? Evidence { get; }

    public string? HowToFix { get; }

    /// <summary>Where in the user's files the failure is, when it is in one (a Dockerfile's failing step).</summary>
    public SourceLocation? Location { get; init; }

    private static string Compose(string whatFailed, string? evidence, string? howToFix)
    {
        var text = whatFailed;
        if (!string.IsNullOrWhiteSpace(evidence))
        {
            text += Environment.NewLine + "Evidence:" + Environment.NewLine + Indent(evidence.TrimEnd());
        }

        if (!string.IsNullOrWhiteSpace(howToFix))
        {
            text += Environment.NewLine + "How to fix: " + howToFix;
        }

        return text;
    }

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.Split('\n').Select(line => "  " + line.TrimEnd('\r')));
}
