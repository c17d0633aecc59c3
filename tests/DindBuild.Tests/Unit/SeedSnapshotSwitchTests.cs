using DindBuild.Diagnostics;
using DindBuild.Images.Snapshots;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// <c>--seed-snapshots on|off</c> and Reap's <c>--prune-seed-snapshots</c>: read from the command line, the environment
/// and dindbuild.json like every parameter; a wrong value fails with the accepted ones (exit code 2); off takes no snapshot.
/// </summary>
public sealed class SeedSnapshotSwitchTests
{
    private static DindSettings Read(string root, string? commandLine = null, string? environment = null) =>
        DindParameters.Read(
            root,
            name => name == "seed-snapshots" && commandLine is not null ? [commandLine] : [],
            name => name == "DINDBUILD_SEED_SNAPSHOTS" ? environment : null);

    [Fact]
    public void Snapshots_are_on_unless_turned_off_on_the_command_line_in_the_environment_or_in_the_parameters_file()
    {
        using var repository = new TempDirectory();
        Assert.Equal(SeedSnapshotChoice.On, Read(repository.Path).SeedSnapshots);
        Assert.Equal(SeedSnapshotChoice.Off, Read(repository.Path, commandLine: "off").SeedSnapshots);
        Assert.Equal(SeedSnapshotChoice.Off, Read(repository.Path, environment: "OFF").SeedSnapshots);

        File.WriteAllText(repository.Combine(ParametersFile.FileName), """{ "seed-snapshots": "off" }""");
        Assert.Equal(SeedSnapshotChoice.Off, Read(repository.Path).SeedSnapshots);
        Assert.Equal(SeedSnapshotChoice.On, Read(repository.Path, commandLine: "on").SeedSnapshots);
    }

    [Fact]
    public void A_wrong_value_fails_with_the_accepted_ones_and_exit_code_2()
    {
        using var repository = new TempDirectory();

        var failure = Assert.Throws<DindBuildException>(() => Read(repository.Path, commandLine: "sometimes"));

        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Equal(2, ExitCodes.For(failure));
        Assert.Contains("--seed-snapshots: 'sometimes' is not one of on|off", failure.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Off_takes_no_snapshot_whatever_else_is_set()
    {
        Assert.Contains("--seed-snapshots off", SeedSnapshotKey.WhyNot(SeedSnapshotChoice.Off, null, []), StringComparison.Ordinal);
        Assert.Null(SeedSnapshotKey.WhyNot(SeedSnapshotChoice.On, null, []));
    }

    [Fact]
    public void Pruning_every_unused_snapshot_is_a_switch_off_by_default()
    {
        using var repository = new TempDirectory();
        DindSettings Prune(string[] given) => DindParameters.Read(repository.Path, name => name == "prune-seed-snapshots" ? given : [], _ => null);

        Assert.False(Prune([]).PruneSeedSnapshots);
        Assert.True(Prune([""]).PruneSeedSnapshots);
        Assert.False(Prune(["false"]).PruneSeedSnapshots);
    }
}
