using DindBuild.Diagnostics;
using DindBuild.Settings;

namespace DindBuild.Tests.Unit;

public sealed class CommandLineOptionsTests
{
    private static DindBuildException Reject(params string[] names) =>
        Assert.Throws<DindBuildException>(() => CommandLineOptions.ThrowIfUnknown(names));

    [Theory]
    [InlineData("dry-run", "--dryrun")]
    [InlineData("docker-mdoe", "--docker-mode")]
    [InlineData("keep", "--keep-daemon")]
    [InlineData("verbose", "--verbosity")]
    [InlineData("exclusve", "--exclusive")]
    public void An_unknown_option_is_a_bad_parameter_that_names_the_nearest_valid_one(string given, string suggestion)
    {
        var failure = Reject(given);

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Equal($"Unknown command-line option --{given}.", failure.WhatFailed);
        Assert.Equal($"--{given}: did you mean {suggestion}?", failure.Evidence);
        Assert.Contains("--help", failure.HowToFix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DryRun", "--dryrun")]
    [InlineData("E", "-e")]
    [InlineData("No-Report", "--no-report")]
    public void Cakes_own_options_in_another_casing_are_rejected_because_Cake_ignores_them(string given, string suggestion)
    {
        var failure = Reject(given);

        Assert.Contains("case-sensitive", failure.Evidence, StringComparison.Ordinal);
        Assert.EndsWith($"did you mean {suggestion}?", failure.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_near_nothing_gets_no_guess()
    {
        Assert.Equal("--foo: neither a DindBuild parameter nor a Cake option", Reject("foo").Evidence);
        Assert.Equal("-z: neither a DindBuild parameter nor a Cake option", Reject("z").Evidence);
    }

    [Fact]
    public void Every_DindBuild_parameter_is_accepted_in_any_casing()
    {
        var names = DindParameters.All.Select(parameter => parameter.Name).ToList();

        CommandLineOptions.ThrowIfUnknown(names);
        CommandLineOptions.ThrowIfUnknown(names.Select(name => name.ToUpperInvariant()));
        CommandLineOptions.ThrowIfUnknown(["--docker-mode", "Docker-Mode"]);
    }

    [Fact]
    public void Every_Cake_option_is_accepted_as_Cake_spells_it()
    {
        CommandLineOptions.ThrowIfUnknown(CommandLineOptions.CakeSwitches.SelectMany(option => option.Names));
    }

    [Fact]
    public void The_keys_Cake_itself_puts_among_the_arguments_are_accepted()
    {
        // What cake.tool 7.0.0 gives the script for --target=X --no-report --invalidate-script-cache --settings_skipverification=true.
        CommandLineOptions.ThrowIfUnknown(["target", "TARGET", "Settings_NoReport", "invalidate-script-cache", "Settings_SkipVerification", "paths_tools"]);
    }

    [Fact]
    public void Several_unknown_options_are_reported_together_in_the_order_given()
    {
        var failure = Reject("dry-run", "docker-mode", "docker-mdoe", "foo", "docker-mdoe");

        Assert.Equal("3 unknown command-line options.", failure.WhatFailed);
        Assert.Equal(
            ["--dry-run: did you mean --dryrun?", "--docker-mdoe: did you mean --docker-mode?", "--foo: neither a DindBuild parameter nor a Cake option"],
            failure.Evidence!.Split('\n'));
    }

    [Fact]
    public void No_DindBuild_parameter_shares_a_name_with_a_Cake_option()
    {
        // Cake's parser would take such a parameter for itself, and DindBuild would never see it.
        var cakeNames = CommandLineOptions.CakeSwitches.SelectMany(option => option.Names).ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.Empty(DindParameters.All.Where(parameter => cakeNames.Contains(parameter.Name)));
    }

    [Fact]
    public void Help_lists_every_Cake_option_with_its_aliases_and_description()
    {
        var help = CommandLineOptions.Help();

        foreach (var option in CommandLineOptions.CakeSwitches)
        {
            var names = string.Join(", ", option.Names.Select(name => name.Length == 1 ? "-" + name : "--" + name));
            Assert.Contains($"  {names}{(option.Value is null ? "" : $" <{option.Value}>")}{Environment.NewLine}      {option.Description}{Environment.NewLine}", help, StringComparison.Ordinal);
        }

        Assert.Contains("  --verbosity, -v <LEVEL>", help, StringComparison.Ordinal);
        Assert.Contains("  --dryrun, --noop, --whatif", help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dokcer-mode", "docker-mode")]
    [InlineData("keep", "keep-daemon")]
    [InlineData("TLS", "tls")]
    public void The_nearest_name_ignores_case_and_counts_a_name_cut_short_as_one_edit(string given, string expected) =>
        Assert.Equal(expected, NearestName.Find(given, DindParameters.All.Select(parameter => parameter.Name)));

    [Fact]
    public void The_nearest_name_is_none_past_the_limit() =>
        Assert.Null(NearestName.Find("foo", ["dryrun", "tree"], maxDistance: 1));
}
