using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Provisioning;
using DindBuild.Provisioning.Dotnet;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>The offline stand-in for mcr.microsoft.com/dotnet/sdk: which names it answers, what it carries, when it is rebuilt, and that a real image wins.</summary>
public sealed class DotnetStandInTests
{
    private static readonly HostDotnetSdk Sdk = new("/opt/dotnet", "10.0.401", "10.0.12", "10.0.12");

    [Fact]
    public void The_host_sdk_is_read_from_its_directory_layout()
    {
        using var root = new TempDirectory();
        File.WriteAllText(root.Combine("dotnet"), "");
        foreach (var directory in new[] { "sdk/9.0.100", "sdk/10.0.401", "sdk/10.0.500-preview.1", "shared/Microsoft.NETCore.App/10.0.12", "shared/Microsoft.NETCore.App/9.0.9", "shared/Microsoft.AspNetCore.App/10.0.12" })
        {
            Directory.CreateDirectory(root.Combine(directory));
        }

        var sdk = HostDotnetSdk.FromRoot(root.Path);

        Assert.Equal(new HostDotnetSdk(root.Path, "10.0.500-preview.1", "10.0.12", "10.0.12"), sdk);
        Assert.Equal("10.0", sdk!.Channel);
        Assert.Null(HostDotnetSdk.FromRoot(root.Combine("sdk")));
    }

    [Theory]
    [InlineData("mcr.microsoft.com/dotnet/sdk:10.0", true)]
    [InlineData("mcr.microsoft.com/dotnet/sdk:10.0-trixie", true)]
    [InlineData("mcr.microsoft.com/dotnet/sdk:10.0.401", true)]
    [InlineData("mcr.microsoft.com/dotnet/sdk:8.0", false)]
    [InlineData("mcr.microsoft.com/dotnet/sdk:10.0-alpine", false)]
    [InlineData("mcr.microsoft.com/dotnet/aspnet:10.0", false)]
    [InlineData("dotnet/sdk:10.0", false)]
    public void A_stand_in_exists_only_for_the_tags_this_hosts_sdk_truly_is(string image, bool expected) =>
        Assert.Equal(expected, DotnetSdkStandIn.ForImage(image, null, Sdk) is not null);

    [Fact]
    public void The_stand_in_says_what_it_is_and_is_never_mistaken_for_the_real_image()
    {
        var recipe = DotnetSdkStandIn.ForImage("mcr.microsoft.com/dotnet/sdk:10.0", null, Sdk)!;

        Assert.True(recipe.IsStandIn);
        Assert.Equal("trixie", recipe.Suite);
        Assert.Contains("libicu76", recipe.Packages);
        Assert.Contains("LABEL org.dindbuild.offline-stand-in=true", recipe.Changes);
        Assert.Contains(recipe.Changes, change => change.StartsWith("LABEL org.opencontainers.image.description=\"DindBuild's offline stand-in", StringComparison.Ordinal) && change.Contains("not Microsoft's image", StringComparison.Ordinal));
        Assert.Contains("ENV DOTNET_SDK_VERSION=10.0.401", recipe.Changes);
        Assert.False(ImageRecipe.Python.IsStandIn);
    }

    [Fact]
    public void The_fingerprint_follows_the_sdk_and_the_contexts_restore_inputs_but_not_its_sources()
    {
        using var context = SampleContext();
        string Fingerprint(HostDotnetSdk sdk) => DotnetSdkStandIn.ForImage("mcr.microsoft.com/dotnet/sdk:10.0", context.Path, sdk)!.Fingerprint;
        var before = Fingerprint(Sdk);

        File.WriteAllText(context.Combine("src", "App", "Program.cs"), "// edited");
        Assert.Equal(before, Fingerprint(Sdk));

        Assert.NotEqual(before, Fingerprint(Sdk with { SdkVersion = "10.0.402" }));

        File.WriteAllText(context.Combine("src", "App", "App.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"Humanizer\" Version=\"2.14.1\" /></ItemGroup></Project>");
        Assert.NotEqual(before, Fingerprint(Sdk));
    }

    [Fact]
    public void The_restore_inputs_are_the_project_files_without_build_output_or_links()
    {
        using var context = SampleContext();
        Directory.CreateDirectory(context.Combine("src", "App", "obj"));
        File.WriteAllText(context.Combine("src", "App", "obj", "App.csproj.nuget.g.props"), "<Project />");
        File.CreateSymbolicLink(context.Combine("Linked.props"), "/etc/passwd");

        var projects = ContextProjects.Find(context.Path)!;

        Assert.Equal(["App.slnx", "Directory.Build.props", "NuGet.Config", "src/App/App.csproj", "tests/App.Tests/App.Tests.csproj"], projects.RelativePaths);
        Assert.Equal(["App.slnx"], projects.RestoreTargets);

        File.Delete(context.Combine("App.slnx"));
        Assert.Equal(["src/App/App.csproj", "tests/App.Tests/App.Tests.csproj"], ContextProjects.Find(context.Path)!.RestoreTargets);
    }

    [Fact]
    public void A_context_without_a_project_has_nothing_to_restore()
    {
        using var context = new TempDirectory();
        File.WriteAllText(context.Combine("Directory.Build.props"), "<Project />");

        Assert.Null(ContextProjects.Find(context.Path));
        var recipe = DotnetSdkStandIn.ForImage("mcr.microsoft.com/dotnet/sdk:10.0", context.Path, Sdk)!;
        Assert.EndsWith("projects none", recipe.Addition!.Fingerprint, StringComparison.Ordinal);
        Assert.Contains(recipe.Changes, change => change.Contains("no NuGet packages", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_real_image_of_the_name_is_used_as_it_is_and_never_rebuilt()
    {
        var engine = new FakeEngine(DockerEndpoint.UnixSocket("/fake/docker.sock"));
        engine.AddImage("mcr.microsoft.com/dotnet/sdk:10.0", new Dictionary<string, string> { ["org.opencontainers.image.vendor"] = "Microsoft" });
        var recipe = DotnetSdkStandIn.ForImage("mcr.microsoft.com/dotnet/sdk:10.0", null, Sdk)!;

        var image = await new RootfsImageBuilder(new CapturingLog(new SecretMasker()).Logger).EnsureAsync(engine, recipe, TestContext.Current.CancellationToken);

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", image);
        Assert.All(engine.Calls, call => Assert.Equal("image.inspect", call.Operation));
        Assert.True(recipe.NeededForBuild(await ((IDockerEngine)engine).Images.InspectAsync(image, TestContext.Current.CancellationToken)));
    }

    [Fact]
    public async Task A_current_stand_in_is_reused_without_a_pull_or_a_build()
    {
        var engine = new FakeEngine(DockerEndpoint.UnixSocket("/fake/docker.sock"));
        var recipe = DotnetSdkStandIn.ForImage("mcr.microsoft.com/dotnet/sdk:10.0", null, Sdk)!;
        engine.AddImage(recipe.ImageName, new Dictionary<string, string> { [ImageRecipe.StandInLabel] = "true", [ImageRecipe.FingerprintLabel] = recipe.Fingerprint });

        await new RootfsImageBuilder(new CapturingLog(new SecretMasker()).Logger).EnsureAsync(engine, recipe, TestContext.Current.CancellationToken);

        Assert.All(engine.Calls, call => Assert.Equal("image.inspect", call.Operation));
    }

    [Fact]
    public void Apt_caches_are_dropped_from_the_root_filesystem_but_not_their_directories()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(root.Combine("var", "cache", "apt", "archives", "partial"));
        Directory.CreateDirectory(root.Combine("var", "lib", "apt", "lists"));
        File.WriteAllText(root.Combine("var", "cache", "apt", "archives", "libc6.deb"), "x");
        File.WriteAllText(root.Combine("var", "cache", "apt", "pkgcache.bin"), "x");
        File.WriteAllText(root.Combine("var", "lib", "apt", "lists", "deb.debian.org_Packages"), "x");
        File.WriteAllText(root.Combine("var", "lib", "apt", "extended_states"), "kept");

        AptCaches.Remove(root.Path);

        Assert.Empty(Directory.GetFiles(root.Combine("var", "cache", "apt"), "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(root.Combine("var", "lib", "apt", "lists")));
        Assert.True(Directory.Exists(root.Combine("var", "cache", "apt", "archives", "partial")));
        Assert.True(File.Exists(root.Combine("var", "lib", "apt", "extended_states")));
    }

    private static TempDirectory SampleContext()
    {
        var context = new TempDirectory();
        foreach (var (path, text) in new[]
        {
            ("App.slnx", "<Solution />"),
            ("Directory.Build.props", "<Project />"),
            ("NuGet.Config", "<configuration />"),
            ("README.md", "not a restore input"),
            ("src/App/App.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />"),
            ("src/App/Program.cs", "return 0;"),
            ("src/App/bin/Release/App.deps.json", "{}"),
            ("tests/App.Tests/App.Tests.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />"),
        })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(context.Combine(path))!);
            File.WriteAllText(context.Combine(path), text);
        }

        return context;
    }
}
