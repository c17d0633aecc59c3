namespace DindBuild.Settings;

/// <summary>
/// One user-facing parameter: <c>--name value</c> on the command line, <c>DINDBUILD_NAME</c> in the
/// environment. <see cref="Apply"/> throws <see cref="FormatException"/> with a readable message.
/// </summary>
public sealed record DindParameter(
    string Name,
    string Description,
    Func<DindSettings, string> DefaultText,
    Func<DindSettings, string, DindSettings> Apply)
{
    /// <summary>May be given several times (<c>--build-arg A=1 --build-arg B=2</c>); the environment separates values with ';'.</summary>
    public bool Repeatable { get; init; }

    /// <summary>A bare <c>--name</c> means true.</summary>
    public bool IsSwitch { get; init; }

    public string EnvironmentVariable => "DINDBUILD_" + Name.ToUpperInvariant().Replace('-', '_');
}
