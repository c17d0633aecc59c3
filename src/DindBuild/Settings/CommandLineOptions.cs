using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using DindBuild.Diagnostics;

namespace DindBuild.Settings;

/// <summary>
/// Rejects command-line options that neither DindBuild nor Cake knows. Cake itself accepts any
/// <c>--name</c> silently: <c>--dry-run</c> (Cake spells it <c>--dryrun</c>) ran the real pipeline and
/// exited 0, and <c>--docker-mdoe dood</c> was ignored without a word.
/// </summary>
/// <remarks>
/// What a script sees, checked with cake.tool 7.0.0 (<c>Context.Arguments.GetArguments()</c>):
/// <list type="bullet">
/// <item>Cake's own options (<c>--verbosity</c>/<c>-v</c>, <c>--dryrun</c>, <c>--exclusive</c>/<c>-e</c>,
/// <c>--tree</c>, …) are taken by its parser and never appear, with one exception each:
/// <c>--invalidate-script-cache</c> comes back as the key <c>invalidate-script-cache</c> and
/// <c>--no-report</c> as <c>Settings_NoReport</c>. That parser matches names with exact case:
/// <c>--DryRun</c> or <c>-E</c> is not taken and appears as a key like any unknown option.</item>
/// <item>Everything else appears as a key without its dashes, spelt as typed (<c>--Docker-Mode=x</c>
/// gives <c>Docker-Mode</c>); <c>--name=value</c> and <c>--name value</c> are the same; a bare
/// <c>--name</c> has one null value; <c>-zq</c> gives the keys <c>z</c> and <c>q</c>; tokens after
/// <c>--</c> are parsed the same way.</item>
/// <item>Lookups by name ignore case. The same name in two casings keeps only the first
/// (<c>--Docker-Mode=x --docker-mode=y</c> gives x); the same casing twice keeps both values.</item>
/// <item><c>target</c> appears only when given. Cake rejects, exiting 255 before the script runs:
/// a one-letter long option (<c>--x=1</c>), <c>--name=</c> with nothing after it, a bare word
/// (<c>Unknown command 'extra'</c>), <c>-v</c> without a level or with an unknown one.</item>
/// </list>
/// </remarks>
public static class CommandLineOptions
{
    /// <summary>
    /// Cake 7.0.0's options, from its <c>DefaultCommandSettings</c> and the configuration keys its
    /// assemblies read (cakebuild.net lists the same). <c>--help</c> is not here: build.sh turns it
    /// into the Help target, so Cake never sees it.
    /// </summary>
    public static ImmutableArray<CakeSwitch> CakeSwitches { get; } =
    [
        new("target", "The target to run; './build.sh NAME' is './build.sh --target=NAME'") { Value = "TARGET" },
        new("verbosity", "How much Cake and DindBuild log: quiet, minimal, normal, verbose or diagnostic") { Aliases = ["v"], Value = "LEVEL", ExactCase = true },
        new("dryrun", "Show which tasks would run, without running them (Setup and Teardown still run)") { Aliases = ["noop", "whatif"], ExactCase = true },
        new("exclusive", "Run the target alone, without the tasks it depends on") { Aliases = ["e"], ExactCase = true },
        new("tree", "Show the task dependency tree") { Aliases = ["showtree"], ExactCase = true },
        new("description", "Show each task's description") { Aliases = ["descriptions", "showdescription", "showdescriptions"], ExactCase = true },
        new("no-report", "Leave out the task summary at the end of the run") { ExactCase = true },
        new("invalidate-script-cache", "Recompile the script even when the script cache holds it") { ExactCase = true },
        new("bootstrap", "Install the modules of #module directives, then stop") { ExactCase = true },
        new("skip-bootstrap", "Do not install #module modules before running") { ExactCase = true },
        new("debug", "Run the script in debug mode: it waits for a debugger to attach") { Aliases = ["d"], ExactCase = true },
        new("version", "Show Cake's version and stop") { Aliases = ["ver"], ExactCase = true },
        new("info", "Show information about Cake and stop") { ExactCase = true },
        Configuration("settings_enablescriptcache", "true|false", "Keep compiled scripts between runs (faster start)"),
        Configuration("settings_verbosity", "LEVEL", "The verbosity when --verbosity is not given"),
        Configuration("settings_noreport", "true|false", "Leave out the task summary (what --no-report sets)"),
        Configuration("settings_skipverification", "true|false", "Load addins built for other Cake versions without checking them"),
        Configuration("settings_skippackageversioncheck", "true|false", "Do not warn about #addin/#tool directives without a version"),
        Configuration("settings_showprocesscommandline", "true|false", "Log the command line of every tool Cake starts"),
        Configuration("settings_nomonocoersion", "true|false", "Do not run .NET Framework tools through Mono"),
        Configuration("settings_usespectreconsoleforconsoleoutput", "true|false", "false: print the task summary as plain text"),
        Configuration("settings_unifieddependencygraphformultipletargets", "true|false", "Several targets share one dependency graph"),
        Configuration("paths_tools", "DIR", "Where #tool packages are installed (default tools/)"),
        Configuration("paths_addins", "DIR", "Where #addin packages are installed (default tools/Addins)"),
        Configuration("paths_modules", "DIR", "Where #module packages are installed (default tools/Modules)"),
        Configuration("paths_cache", "DIR", "Where the script cache keeps compiled scripts (default tools/cache)"),
        Configuration("nuget_source", "URL", "The package source for #addin, #tool and #module"),
        Configuration("nuget_configfile", "FILE", "The NuGet.config used to install packages"),
        Configuration("nuget_loaddependencies", "true|false", "Also load the dependencies of #addin packages"),
        Configuration("nuget_noninteractive", "true|false", "Never prompt for package source credentials"),
        Configuration("nuget_useinprocessclient", "true|false", "false: install packages with nuget.exe instead of in-process"),
        Configuration("nuget_uselegacyridgraph", "true|false", "Match version-specific runtime folders of #addin packages"),
    ];

    /// <summary>
    /// Throws one <see cref="FailureKind.BadParameters"/> error naming every option that is neither a
    /// DindBuild parameter nor one of <see cref="CakeSwitches"/>, each with the nearest valid name.
    /// <paramref name="givenNames"/> are the script's argument names as Cake gives them (leading
    /// dashes are ignored, so raw tokens work too). Values are never shown: one may be a secret.
    /// </summary>
    public static void ThrowIfUnknown(IEnumerable<string> givenNames)
    {
        var unknown = givenNames.Select(name => name.TrimStart('-')).Where(name => !IsKnown(name)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count == 0)
        {
            return;
        }

        throw new DindBuildException(
            FailureKind.BadParameters,
            unknown.Count == 1 ? $"Unknown command-line option {Dashed(unknown[0])}." : $"{unknown.Count} unknown command-line options.",
            string.Join('\n', unknown.Select(Problem)),
            "correct or remove them; './build.sh --help' lists every parameter and Cake option. "
            + "Cake would run the build as if they were not there, which is why they stop it.");
    }

    /// <summary>The Cake options section of <c>./build.sh --help</c>.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("Cake options (spelt as shown: Cake ignores --DryRun; configuration keys also as CAKE_NAME in the environment):");
        foreach (var option in CakeSwitches)
        {
            var value = option.Value is null ? "" : $" <{option.Value}>";
            text.AppendLine(CultureInfo.InvariantCulture, $"  {string.Join(", ", option.Names.Select(Dashed))}{value}");
            text.AppendLine(CultureInfo.InvariantCulture, $"      {option.Description}");
        }

        return text.ToString();
    }

    private static CakeSwitch Configuration(string name, string value, string description) => new(name, description) { Value = value };

    // DindBuild reads its parameters through Cake's case-insensitive lookups, so any casing works.
    private static bool IsKnown(string name) =>
        DindParameters.All.Any(parameter => string.Equals(parameter.Name, name, StringComparison.OrdinalIgnoreCase))
        || CakeSwitches.Any(option => option.Names.Any(known => string.Equals(known, name, option.ExactCase ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase)));

    private static string Problem(string name)
    {
        var candidates = DindParameters.All.Select(parameter => parameter.Name).Concat(CakeSwitches.SelectMany(option => option.Names));

        // Up to half the name's length in edits: --verbose still finds --verbosity, while --foo gets no
        // guess and a one-letter name only its other casing (-z must not suggest -d, which waits for a debugger).
        var nearest = NearestName.Find(name, candidates, maxDistance: name.Length / 2);
        return nearest switch
        {
            null => $"{Dashed(name)}: neither a DindBuild parameter nor a Cake option",
            _ when string.Equals(nearest, name, StringComparison.OrdinalIgnoreCase) =>
                $"{Dashed(name)}: Cake's options are case-sensitive and Cake ignored this spelling; did you mean {Dashed(nearest)}?",
            _ => $"{Dashed(name)}: did you mean {Dashed(nearest)}?",
        };
    }

    // Cake's parser takes one letter after a single dash and longer names after two.
    private static string Dashed(string name) => name.Length == 1 ? "-" + name : "--" + name;
}
