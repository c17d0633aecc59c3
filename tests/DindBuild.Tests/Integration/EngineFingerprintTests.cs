using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Issue 13 item 3: build.sh rebuilds the engine only when DindBuild's own sources change (src/DindBuild, the recipe,
/// the props, global.json), never because the samples, the tests or the docs did. Run on a copy of this checkout, so
/// that the edits touch nothing a parallel run uses.
/// </summary>
public sealed class EngineFingerprintTests(EngineFingerprintTests.Checkout checkout) : IClassFixture<EngineFingerprintTests.Checkout>
{
    private const string Rebuilding = "build.sh: building the engine";

    [Fact]
    public async Task Editing_samples_tests_docs_or_other_projects_under_src_does_not_rebuild_the_engine()
    {
        // The old fingerprint took every .cs file under src/: a team's own project beside DindBuild's rebuilt the engine.
        Directory.CreateDirectory(checkout.Combine("src", "TeamApp"));
        await File.WriteAllTextAsync(checkout.Combine("src", "TeamApp", "Program.cs"), $"// the team's code {Guid.NewGuid():N}\n", TestContext.Current.CancellationToken);
        await File.AppendAllTextAsync(checkout.Combine("samples", "calculator", "README.md"), "\nedited by a test\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(checkout.Combine("tests", "new-test-file.cs"), "// a team member's new test\n", TestContext.Current.CancellationToken);
        await File.AppendAllTextAsync(checkout.Combine("README.md"), "\nedited by a test\n", TestContext.Current.CancellationToken);

        var run = await checkout.HelpAsync();

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.DoesNotContain(run.Lines, line => line.Contains(Rebuilding, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Editing_the_engine_rebuilds_it()
    {
        await File.AppendAllTextAsync(checkout.Combine("src", "DindBuild", "IO", "StateDirectory.cs"), $"\n// edited by a test {Guid.NewGuid():N}\n", TestContext.Current.CancellationToken);

        var run = await checkout.HelpAsync();

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(run.Lines, line => line.Contains(Rebuilding, StringComparison.Ordinal));
    }

    /// <summary>A copy of what build.sh reads (and a sample, the docs, a tests folder), with its engine built once.</summary>
    /// <summary>
    /// Issue 17 item 2: Cake's compiled script is kept (a run does not compile build.cake again) in a directory keyed by
    /// what it is compiled from, so an edited script or engine is compiled anew, never run stale.
    /// </summary>
    [Fact]
    public async Task The_compiled_script_is_reused_and_compiled_anew_when_the_script_or_the_engine_changes()
    {
        var first = await checkout.HelpAsync();
        Assert.True(first.ExitCode == 0, first.Output);
        var compiled = CompiledScripts();
        Assert.NotEmpty(compiled);
        var written = compiled.ToDictionary(path => path, File.GetLastWriteTimeUtc);

        var again = await checkout.HelpAsync();
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Equal(written, CompiledScripts().ToDictionary(path => path, File.GetLastWriteTimeUtc));

        // A task added to build.cake shows up at once: the script was compiled anew, in a cache of its own.
        var probe = "probe-" + Guid.NewGuid().ToString("N")[..8];
        var script = checkout.Combine("build", "build.cake");
        var lines = (await File.ReadAllLinesAsync(script, TestContext.Current.CancellationToken)).ToList();
        lines.Insert(lines.FindLastIndex(line => line.StartsWith("DindRecipe.Run(", StringComparison.Ordinal)), $"Task(\"ProbeTask\").Description(\"{probe}\");");
        await File.WriteAllLinesAsync(script, lines, TestContext.Current.CancellationToken);
        var edited = await checkout.HelpAsync();
        Assert.True(edited.ExitCode == 0, edited.Output);
        Assert.Contains(probe, edited.Output, StringComparison.Ordinal);
        var afterScript = CompiledScripts();
        Assert.NotEmpty(afterScript.Except(written.Keys));

        // The script references the locally built engine by path: an engine change is a new cache too.
        await File.AppendAllTextAsync(checkout.Combine("src", "DindBuild", "IO", "StateDirectory.cs"), $"\n// edited by a test {Guid.NewGuid():N}\n", TestContext.Current.CancellationToken);
        var rebuilt = await checkout.HelpAsync();
        Assert.True(rebuilt.ExitCode == 0, rebuilt.Output);
        Assert.NotEmpty(CompiledScripts().Except(afterScript));
    }

    /// <summary>
    /// Issue 17 item 2: nothing runs before the first target that it does not need. 'dotnet tool restore' (a quarter of
    /// a second) runs only when the pinned Cake is not in the package cache; a PATH shim in front of dotnet records every
    /// call. DINDBUILD_TRACE_STARTUP=1 shows each thing build.sh, the bootstrapper and the recipe do first, in order.
    /// </summary>
    [Fact]
    public async Task Cake_in_the_package_cache_starts_without_a_tool_restore_and_a_missing_one_is_restored()
    {
        using var shim = new TempDirectory("dindbuild-dotnet-shim");
        var calls = shim.Combine("calls.log");
        var dotnet = shim.Combine("dotnet");
        await File.WriteAllTextAsync(dotnet, $"#!/bin/sh\necho \"$*\" >> '{calls}'\nexec '{RealDotnet()}' \"$@\"\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string?>(ConsumerRepository.CleanEnvironment)
        {
            ["PATH"] = shim.Path + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["DINDBUILD_TRACE_STARTUP"] = "1",
        };

        var cached = await checkout.HelpAsync(environment);

        Assert.True(cached.ExitCode == 0, cached.Output);
        var cachedCalls = await File.ReadAllLinesAsync(calls, TestContext.Current.CancellationToken);
        Assert.Contains(cachedCalls, call => call.Contains("Cake.dll build/build.cake", StringComparison.Ordinal));
        Assert.DoesNotContain(cachedCalls, call => call.StartsWith("tool restore", StringComparison.Ordinal));
        string[] phases =
        [
            "build.sh started", "engine freshness checked", "bootstrapper started", "Cake looked up in the package cache",
            "script cache looked up; starting Cake", "script loaded, recipe starts", "parameters read, inputs checked, artifacts directory locked", "log opened, target starting",
        ];
        Assert.Equal(phases, cached.Lines.Where(line => line.StartsWith("dindbuild-startup: ", StringComparison.Ordinal)).Select(line => line.Split(' ', 3)[2]));

        // A fresh CI runner: an empty package cache, and no record of restored tools (dotnet keeps one under its
        // home, and with it a restore only checks the old package folder). Cake is restored into the new one, then run.
        using var packages = new TempDirectory("dindbuild-packages");
        File.Delete(calls);
        var restored = await checkout.HelpAsync(new Dictionary<string, string?>(environment) { ["NUGET_PACKAGES"] = packages.Combine("packages"), ["DOTNET_CLI_HOME"] = packages.Combine("home") });

        Assert.True(restored.ExitCode == 0, restored.Output);
        var restoredCalls = await File.ReadAllLinesAsync(calls, TestContext.Current.CancellationToken);
        Assert.Contains(restoredCalls, call => call.StartsWith("tool restore", StringComparison.Ordinal));
        Assert.Contains(restoredCalls, call => call.StartsWith(packages.Combine("packages", "cake.tool"), StringComparison.Ordinal) && call.Contains("Cake.dll build/build.cake", StringComparison.Ordinal));
        Assert.Contains(restored.Lines, line => line.StartsWith("dindbuild-startup: ", StringComparison.Ordinal) && line.EndsWith(" Cake restored", StringComparison.Ordinal));
        Assert.Contains(restored.Lines, line => line.Contains("Usage: ./build.sh [TARGET]", StringComparison.Ordinal));
    }

    /// <summary>The dotnet on PATH with its links resolved: the shim must not find itself.</summary>
    private static string RealDotnet()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(directory => Path.Combine(directory, "dotnet")).First(File.Exists);
        return new FileInfo(found).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? found;
    }

    private List<string> CompiledScripts()
    {
        var cache = checkout.Combine(".dindbuild", "cake", "cache");
        return Directory.Exists(cache)
            ? Directory.EnumerateDirectories(cache).Where(directory => File.Exists(Path.Combine(directory, ".complete")))
                .SelectMany(directory => Directory.EnumerateFiles(directory, "*.dll")).Order().ToList()
            : [];
    }

    public sealed class Checkout : IAsyncLifetime
    {
        private readonly TempDirectory _root = new("dindbuild-fingerprint");

        public string Combine(params string[] parts) => _root.Combine(parts);

        public async ValueTask InitializeAsync()
        {
            foreach (var file in new[] { "build.sh", "global.json", "Directory.Build.props", "Directory.Packages.props", "README.md" })
            {
                File.Copy(Path.Combine(RepositoryRoot.Path, file), Combine(file));
            }

            foreach (var directory in new[] { "build", "src", "samples/calculator", ".dindbuild/engine" })
            {
                CopyDirectory(Path.Combine(RepositoryRoot.Path, directory), Combine(directory));
            }

            Directory.CreateDirectory(Combine("tests"));

            // Whatever state the copied engine was in: from here on it matches the copy's sources.
            var first = await HelpAsync();
            Assert.True(first.ExitCode == 0, first.Output);
        }

        internal Task<BuildScriptResult> HelpAsync(IReadOnlyDictionary<string, string?>? environment = null) =>
            BuildScript.RunAsync(["Help"], environment: environment ?? ConsumerRepository.CleanEnvironment, repository: _root.Path);

        public ValueTask DisposeAsync()
        {
            _root.Dispose();
            return ValueTask.CompletedTask;
        }

        private static void CopyDirectory(string source, string target)
        {
            foreach (var file in Directory.EnumerateFiles(source, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                var relative = Path.GetRelativePath(source, file);
                if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                {
                    continue;
                }

                var destination = Path.Combine(target, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(file, destination);
                File.SetUnixFileMode(destination, File.GetUnixFileMode(file));
            }
        }
    }
}
