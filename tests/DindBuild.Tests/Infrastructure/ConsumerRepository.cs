using CliWrap;
using CliWrap.Buffered;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// A team's repository in a fresh temporary directory: git, a nuget.config that adds the packed packages' folder feed
/// to the machine's sources, and 'dotnet new dindbuild' from the template package installed into a private template
/// hive (the machine's own templates are left alone). Deleted, with the hive, on dispose.
/// </summary>
internal sealed class ConsumerRepository : IDisposable
{
    private readonly TempDirectory _root = new("dindbuild-consumer");

    public ConsumerRepository()
    {
        Directory.CreateDirectory(Path);
    }

    public string Path => _root.Combine("repo");

    private string Hive => _root.Combine("template-hive");

    /// <summary>Copies <paramref name="sourceDirectory"/>'s files (not its build output or DindBuild state) into the repository root and commits them.</summary>
    public async Task CopyAndCommitAsync(string sourceDirectory)
    {
        foreach (var file in Directory.EnumerateFiles(sourceDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = System.IO.Path.GetRelativePath(sourceDirectory, file);
            if (relative.Split(System.IO.Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or ".dindbuild" or "artifacts" or "__pycache__" or ".pytest_cache"))
            {
                continue;
            }

            var target = System.IO.Path.Combine(Path, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        await RunAsync("git", ["init", "-q"]);
        await RunAsync("git", ["add", "-A"]);
        await RunAsync("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "the team's code"]);
    }

    /// <summary>nuget.config: the folder feed on top of the sources the machine already uses (no clear: they still serve Serilog, cake.tool).</summary>
    public Task AddFeedAsync(string feed) => File.WriteAllTextAsync(System.IO.Path.Combine(Path, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="dindbuild-packed" value="{feed}" />
          </packageSources>
        </configuration>
        """, TestContext.Current.CancellationToken);

    /// <summary>'dotnet new install' of the template package into the private hive, then 'dotnet new dindbuild' here; then uninstall.</summary>
    public async Task<string> ScaffoldAsync(string templatesPackage, params string[] options)
    {
        await RunAsync("dotnet", ["new", "install", templatesPackage, "--debug:custom-hive", Hive]);
        try
        {
            return await RunAsync("dotnet", ["new", "dindbuild", "--debug:custom-hive", Hive, .. options]);
        }
        finally
        {
            await RunAsync("dotnet", ["new", "uninstall", "DindBuild.Templates", "--debug:custom-hive", Hive]);
        }
    }

    /// <summary>A command in the repository; throws with its output unless it exits 0.</summary>
    public async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, bool mustSucceed = true)
    {
        var result = await Cli.Wrap(program).WithArguments(arguments).WithWorkingDirectory(Path)
            .WithEnvironmentVariables(CleanEnvironment)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        var output = result.StandardOutput + result.StandardError;
        TestContext.Current.TestOutputHelper?.WriteLine($"$ {program} {string.Join(' ', arguments)} → {result.ExitCode}\n{output}");
        Assert.True(!mustSucceed || result.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {result.ExitCode}:\n{output}");
        return $"exit {result.ExitCode}\n{output}";
    }

    /// <summary>What a team's shell has: none of the variables this repository's own ./build.sh (running these tests) set.</summary>
    public static IReadOnlyDictionary<string, string?> CleanEnvironment { get; } = new Dictionary<string, string?>
    {
        ["DINDBUILD_REPOSITORY_ROOT"] = null,
        ["CAKE_PATHS_TOOLS"] = null,
        ["CAKE_PATHS_ADDINS"] = null,
        ["CAKE_PATHS_MODULES"] = null,
    };

    public void Dispose() => _root.Dispose();
}
