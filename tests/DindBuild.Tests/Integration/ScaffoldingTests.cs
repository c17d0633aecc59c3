using System.Text.RegularExpressions;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Issue 13: 'dotnet new dindbuild' into a team's .NET repository (a class library with an obsolete call, which is a
/// warning there, and an xunit project) changes none of its own build: 'dotnet build' and 'dotnet test' give the same
/// exit codes, warnings and test counts before and after, and no Directory.*.props or global.json appears.
/// Packages come from the machine's offline cache (/opt/nuget/packages) or its served source.
/// </summary>
public sealed partial class ScaffoldingTests
{
    [Fact]
    public async Task Scaffolding_into_a_dotnet_repository_changes_nothing_in_its_build_and_writes_only_DindBuilds_files()
    {
        var packages = await PackedPackages.GetAsync();
        using var source = new TempDirectory("dindbuild-team-code");
        WriteTeamRepository(source.Path);
        using var repository = new ConsumerRepository();
        await repository.CopyAndCommitAsync(source.Path);
        var before = await BuildAndTestAsync(repository);

        await repository.ScaffoldAsync(packages.TemplatesPackage);
        var written = await repository.RunAsync("git", ["status", "--porcelain", "--untracked-files=all"]);
        var after = await BuildAndTestAsync(repository);

        Assert.Equal(
            ["?? build.cmd", "?? build.sh", "?? build/build.cake", "?? build/dotnet-tools.json", "?? dindbuild.json"],
            written.Split('\n').Skip(1).Where(line => line.Length > 0).Order(StringComparer.Ordinal));
        Assert.Equal(before, after);
        Assert.Contains("warning CS0618", before.Build, StringComparison.Ordinal);
        Assert.Contains("Passed: 2", before.Test, StringComparison.Ordinal);
    }

    private static async Task<BuildResult> BuildAndTestAsync(ConsumerRepository repository)
    {
        // --no-incremental: the second build must report its warnings again, not skip up-to-date projects.
        var build = await repository.RunAsync("dotnet", ["build", "Team.slnx", "--no-incremental", "-nologo"], mustSucceed: false);
        var test = await repository.RunAsync("dotnet", ["test", "Team.slnx", "--no-build", "-nologo"], mustSucceed: false);
        return new BuildResult(Summary(build), Summary(test));
    }

    /// <summary>The exit code, the distinct warnings and errors, and the test totals: what "the same result" means.</summary>
    private static string Summary(string output)
    {
        var lines = output.Split('\n');
        var diagnostics = lines.Select(line => Diagnostic().Match(line)).Where(match => match.Success).Select(match => match.Value).Distinct().Order(StringComparer.Ordinal);
        var totals = lines.Where(line => line.Contains("Passed:", StringComparison.Ordinal) || line.Contains("Failed:", StringComparison.Ordinal)).Select(line => Regex.Replace(TestTotals().Match(line).Value, @"\s+", " "));
        return string.Join('\n', [lines[0], .. diagnostics, .. totals]);
    }

    private static void WriteTeamRepository(string root)
    {
        void Write(string relative, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, relative))!);
            File.WriteAllText(Path.Combine(root, relative), text);
        }

        Write(".gitignore", "bin/\nobj/\n");
        Write("Team.slnx", "<Solution>\n  <Project Path=\"src/Team.Lib/Team.Lib.csproj\" />\n  <Project Path=\"tests/Team.Lib.Tests/Team.Lib.Tests.csproj\" />\n</Solution>\n");
        Write("nuget.config", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <add key=\"offline\" value=\"/opt/nuget/packages\" />\n  </packageSources>\n</configuration>\n");
        Write("src/Team.Lib/Team.Lib.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net10.0</TargetFramework>\n    <Nullable>enable</Nullable>\n  </PropertyGroup>\n</Project>\n");
        Write("src/Team.Lib/Calculator.cs", "namespace Team.Lib;\n\npublic static class Calculator\n{\n    [System.Obsolete(\"use Add\")]\n    public static int Plus(int a, int b) => a + b;\n\n    // A warning in the team's build (CS0618), not an error: DindBuild must not turn warnings into errors here.\n    public static int Add(int a, int b) => Plus(a, b);\n}\n");
        Write("tests/Team.Lib.Tests/Team.Lib.Tests.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <IsPackable>false</IsPackable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
              </ItemGroup>
              <ItemGroup>
                <ProjectReference Include="../../src/Team.Lib/Team.Lib.csproj" />
              </ItemGroup>
            </Project>
            """);
        Write("tests/Team.Lib.Tests/CalculatorTests.cs", "using Xunit;\n\nnamespace Team.Lib.Tests;\n\npublic class CalculatorTests\n{\n    [Fact]\n    public void Adds() => Assert.Equal(3, Calculator.Add(1, 2));\n\n    [Fact]\n    public void Adds_negatives() => Assert.Equal(-3, Calculator.Add(-1, -2));\n}\n");
    }

    [GeneratedRegex(@"(warning|error) [A-Z]+[0-9]+")]
    private static partial Regex Diagnostic();

    [GeneratedRegex(@"(Failed|Passed)!?\s*-?\s*Failed:\s*\d+,\s*Passed:\s*\d+,\s*Skipped:\s*\d+,\s*Total:\s*\d+|Passed:\s*\d+|Failed:\s*\d+")]
    private static partial Regex TestTotals();

    private sealed record BuildResult(string Build, string Test);
}
