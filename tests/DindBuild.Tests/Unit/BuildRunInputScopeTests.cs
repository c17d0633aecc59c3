using DindBuild.Hosting;
using DindBuild.Settings;

namespace DindBuild.Tests.Unit;

/// <summary>Which inputs a target checks before any daemon starts: its own step's, and its dependencies' unless --exclusive.</summary>
public sealed class BuildRunInputScopeTests
{
    [Theory]
    [InlineData("DindTest", false, InputCheckScope.All)]
    [InlineData("dindtest", false, InputCheckScope.All)]
    [InlineData("BuildImage", false, InputCheckScope.Build)]
    [InlineData("BuildImage", true, InputCheckScope.Build)]
    [InlineData("RunTests", false, InputCheckScope.All)]
    [InlineData("RunTests", true, InputCheckScope.Artifacts)]
    [InlineData("ExportArtifacts", true, InputCheckScope.Artifacts)]
    [InlineData("StartDaemon", false, InputCheckScope.None)]
    [InlineData("Teardown", false, InputCheckScope.None)]
    [InlineData("Help", false, InputCheckScope.None)]
    [InlineData("Reap", false, InputCheckScope.None)]
    public void A_target_checks_what_it_and_its_dependencies_use(string target, bool exclusive, InputCheckScope expected) =>
        Assert.Equal(expected, BuildRun.InputScopeOf(target, exclusive));
}
