using System.Collections.Immutable;

namespace DindBuild.Settings;

/// <summary>
/// One of Cake 7's own command-line options, which a run may be given next to the DindBuild
/// parameters. A one-letter alias is the short form (<c>-v</c>).
/// </summary>
public sealed record CakeSwitch(string Name, string Description)
{
    /// <summary>Other spellings Cake accepts for the same option.</summary>
    public ImmutableArray<string> Aliases { get; init; } = [];

    /// <summary>What the option takes (<c>LEVEL</c>), shown as <c>&lt;LEVEL&gt;</c>; null for a bare flag.</summary>
    public string? Value { get; init; }

    /// <summary>
    /// True for the options Cake's own parser (Spectre.Console.Cli) takes: it matches them with exact
    /// case, and any other spelling (<c>--DryRun</c>) reaches the script as an ordinary argument that
    /// nothing reads, so the run goes ahead as if it had not been given. False for what Cake reads
    /// from the script's arguments (the target, configuration keys), which ignores case.
    /// </summary>
    public bool ExactCase { get; init; }

    public IEnumerable<string> Names => Aliases.Prepend(Name);
}
