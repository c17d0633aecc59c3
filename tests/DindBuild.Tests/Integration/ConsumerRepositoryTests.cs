using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Issue 13 item 5: a team's repository holding only a sample application, with the packed packages in a local folder
/// feed and nothing else of this repository: 'dotnet new dindbuild', then './build.sh DindTest' as the team runs it.
/// Cake restores the recipe and the engine from the feed; nothing is built from DindBuild's sources.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class ConsumerRepositoryTests(EngineFixture engine, DotnetCacheVolume cache)
{
    /// <summary>The application the consumer repository holds: its folder here, how to make one of its tests fail, its report.</summary>
    internal static readonly ConsumerSample Sample = new("samples/dotnet-app", ["--test-env", "SAMPLE_FAIL=1"], "Pricing.Tests.junit.xml");

    [Theory]
    [InlineData("dind")]
    [InlineData("dood")]
    public async Task A_repository_with_only_the_sample_and_the_packages_passes_DindTest_and_its_failing_variant_exits_3(string mode)
    {
        engine.RequireEngine();
        var packages = await PackedPackages.GetAsync();
        using var repository = new ConsumerRepository();
        await repository.CopyAndCommitAsync(Path.Combine(RepositoryRoot.Path, Sample.Folder));
        await repository.AddFeedAsync(packages.Feed);
        await repository.ScaffoldAsync(packages.TemplatesPackage);
        Assert.Contains($"#load nuget:?package=DindBuild.Cake&version={packages.Version}", await File.ReadAllTextAsync(Path.Combine(repository.Path, "build", "build.cake"), TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // In dind the runs reuse the .NET sample's daemon data (the ~900 MB base image is seeded once per test
        // process, see DotnetCacheVolume); in dood its Testcontainers test needs the host engine's API version.
        IReadOnlyList<string> modeArguments = mode == "dind" ? ["--cache-volume", cache.Name] : await DockerCli.TestcontainersApiArgumentsAsync();
        var session = BuildScript.NewSessionId();
        var green = await BuildScript.RunAsync(["DindTest", .. DotnetSampleTests.SeedHelper, "--docker-mode", mode, "--session-id", session, .. modeArguments], environment: ConsumerRepository.CleanEnvironment, repository: repository.Path);

        Assert.True(green.ExitCode == 0, green.Output);
        Assert.DoesNotContain(green.Lines, line => line.Contains("building the engine", StringComparison.Ordinal));
        var report = JUnitReport.Load(Path.Combine(repository.Path, "artifacts", Sample.Report));
        Assert.True(report.Tests > 0 && report.Failures == 0, $"{report.Tests} tests, {report.Failures} failures");
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));

        var failingSession = BuildScript.NewSessionId();
        var red = await BuildScript.RunAsync(["DindTest", .. DotnetSampleTests.SeedHelper, "--docker-mode", mode, "--session-id", failingSession, .. modeArguments, .. Sample.FailArguments], environment: ConsumerRepository.CleanEnvironment, repository: repository.Path);

        Assert.True(red.ExitCode == 3, red.Output);
        Assert.True(JUnitReport.Load(Path.Combine(repository.Path, "artifacts", Sample.Report)).Failures > 0, "the failing variant's report shows no failure");
        Assert.Empty(await DockerCli.LabelledResourcesAsync(failingSession));
        Assert.DoesNotContain(session, await DockerCli.OutputAsync(["context", "ls", "-q"]), StringComparison.Ordinal);

        // What git sees of the run: the scaffolded files and the artifacts; DindBuild's state ignores itself.
        var status = await repository.RunAsync("git", ["status", "--porcelain", "--untracked-files=all"]);
        Assert.DoesNotContain(".dindbuild", status, StringComparison.Ordinal);
        Assert.Contains("build/build.cake", status, StringComparison.Ordinal);
    }
}

/// <summary>A sample application as a consumer repository holds it.</summary>
internal sealed record ConsumerSample(string Folder, IReadOnlyList<string> FailArguments, string Report);

