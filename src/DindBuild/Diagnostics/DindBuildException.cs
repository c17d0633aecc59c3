namespace DindBuild.Diagnostics;

/// <summary>
/// A failure a user can act on: the message always says what failed, shows the evidence that was
/// collected, and says how to fix or opt out. <see cref="Kind"/> lets a CI system retry
/// infrastructure failures only.
/// </summary>
/// <remarks>
/// The parts often quote a container (a name, an engine message, a log tail), and the message is printed on the
/// console and in CI annotations: <see cref="WhatFailed"/> and <see cref="HowToFix"/> are kept to one line and the
/// evidence to escaped lines (<see cref="SafeText"/>), so no part can forge a log line or a CI workflow command.
/// </remarks>
public class DindBuildException : Exception
{
    public DindBuildException(FailureKind kind, string whatFailed, string? evidence = null, string? howToFix = null, Exception? inner = null)
        : base(Compose(SafeText.Escape(whatFailed), SafeLines(evidence), SafeLine(howToFix)), inner)
    {
        Kind = kind;
        WhatFailed = SafeText.Escape(whatFailed);
        Evidence = SafeLines(evidence);
        HowToFix = SafeLine(howToFix);
    }

    public FailureKind Kind { get; }

    public string WhatFailed { get; }

    public string? Evidence { get; }

    public string? HowToFix { get; }

    /// <summary>Where in the user's files the failure is, when it is in one (a Dockerfile's failing step).</summary>
    public SourceLocation? Location { get; init; }

    private static string? SafeLine(string? text) => text is null ? null : SafeText.Escape(text);

    private static string? SafeLines(string? text) => text is null ? null : SafeText.Lines(text);

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
