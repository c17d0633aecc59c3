// DindBuild's own build, in the form a team's build.cake has ('dotnet new dindbuild'): it loads the recipe, adds this
// repository's targets (Test, Benchmark, RenderReport, Pack) through the recipe's hooks, and runs the target.
// A team loads the recipe package ('#load nuget:?package=DindBuild.Cake&version=X', which adds the DindBuild engine
// package); this repository loads the recipe from source and references the engine build.sh built from source.
#r "../.dindbuild/engine/DindBuild.dll"
#r "../.dindbuild/engine/Serilog.dll"
#r "../.dindbuild/engine/Serilog.Sinks.Console.dll"
#r "../.dindbuild/engine/Serilog.Sinks.File.dll"
#r "../.dindbuild/engine/Serilog.Formatting.Compact.dll"
#r "../.dindbuild/engine/CliWrap.dll"
#r "../.dindbuild/engine/Docker.DotNet.dll"
#r "../.dindbuild/engine/Docker.DotNet.X509.dll"
#load "../src/DindBuild.Cake/content/dindbuild.cake"

using DindBuild.Diagnostics;
using DindBuild.Settings;

DindRecipe.AddOption("package-version", "Pack: the packages' version (default: from git tags by MinVer, e.g. tag v1.2.3 gives 1.2.3)");
DindRecipe.AddOption("only", "Benchmark: only these groups of rows, comma-separated (builders, cache-mounts, daemon, transfer, end-to-end, dotnet, startup)");
DindRecipe.AddOption("skip", "Benchmark: leave these groups of rows out (e.g. --skip dotnet, the slowest)");

Task("RenderReport")
    .Description("Render artifacts/dindbuild-report.html to a PNG next to it in headless Chromium (installs Debian's chromium when missing)")
    .Does(() => new DindBuild.Reporting.ChromiumRenderer(DindRecipe.Log).RenderAsync(
        DindRecipe.Build.ReportPathWithoutExtension + ".html", DindRecipe.Build.ReportPathWithoutExtension + ".png", width: 1100, height: 2200, DindRecipe.Cancellation));

Task("Pack")
    .Description("Pack DindBuild, DindBuild.Cake and DindBuild.Templates into <artifacts-dir>/packages (--package-version, else MinVer's version from git tags)")
    .Does(() =>
    {
        var output = MakeAbsolute(Directory(DindRecipe.Settings.HostArtifactsDirectory)).Combine("packages");
        CleanDirectory(output);
        var msbuild = new DotNetMSBuildSettings();
        if (HasArgument("package-version"))
        {
            msbuild.WithProperty("MinVerVersionOverride", Argument<string>("package-version"));
        }

        // SourceLink needs the URL of a hosted remote; without one it can only warn and link nothing, so it is off then.
        var origin = StartProcess("git", new ProcessSettings { Arguments = "remote get-url origin", RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = ".." }, out var originLines);
        var url = origin == 0 ? originLines.FirstOrDefault()?.Trim() ?? "" : "";
        var hosted = url.StartsWith("https://", StringComparison.Ordinal) || url.StartsWith("http://", StringComparison.Ordinal) || url.StartsWith("git@", StringComparison.Ordinal) || url.StartsWith("ssh://", StringComparison.Ordinal);
        msbuild.WithProperty("DindBuildSourceLink", hosted ? "true" : "false");
        if (!hosted)
        {
            DindRecipe.Log.Warning("Pack: the clone's origin is not a hosted git URL ({Origin}), so the packages carry no SourceLink", url.Length == 0 ? "none" : url);
        }

        foreach (var project in new[] { "DindBuild", "DindBuild.Cake", "DindBuild.Templates" })
        {
            DotNetPack($"../src/{project}/{project}.csproj", new DotNetPackSettings { Configuration = "Release", OutputDirectory = output, MSBuildSettings = msbuild, NoLogo = true });
        }

        DindRecipe.Log.Information("Pack: {Packages}", string.Join(", ", GetFiles(output.FullPath + "/*.nupkg").Select(file => file.GetFilename().FullPath)));
    });

Task("Benchmark")
    .Description("Measure every lifecycle step against its floor in the same run; table on the console, JSON in artifacts/ (not part of Test)")
    .Does(() =>
    {
        // The suite is its own program (bench/DindBuild.Benchmarks), not part of the engine: it gets
        // the DindBuild parameters given here; the environment and dindbuild.json it reads itself.
        var arguments = new ProcessArgumentBuilder();
        var runSettings = new DotNetRunSettings { Configuration = "Release", EnvironmentVariables = new Dictionary<string, string>() };
        foreach (var parameter in DindParameters.All.Where(parameter => HasArgument(parameter.Name)))
        {
            foreach (var value in Arguments<string>(parameter.Name))
            {
                if (parameter.Name == "docker-auth-config")
                {
                    // A secret: through the environment, not a command line that ps and the log show.
                    runSettings.EnvironmentVariables[parameter.EnvironmentVariable] = value;
                }
                else
                {
                    arguments.AppendSwitchQuoted("--" + parameter.Name, "=", value);
                }
            }
        }

        foreach (var option in new[] { "only", "skip" }.Where(HasArgument))
        {
            arguments.AppendSwitchQuoted("--" + option, "=", Argument<string>(option));
        }

        if (Context.Log.Verbosity >= Verbosity.Verbose)
        {
            arguments.Append("--verbose");
        }

        var exitCode = 0;
        runSettings.HandleExitCode = code => { exitCode = code; return true; };
        DotNetRun("../bench/DindBuild.Benchmarks/DindBuild.Benchmarks.csproj", arguments, runSettings);

        // Thrown as what the exit code stands for, so that this run exits with the same code.
        var failure = $"The benchmark program failed with exit code {exitCode}; see its output above.";
        if (exitCode == ExitCodes.Cancelled)
        {
            throw new OperationCanceledException("The benchmark was cancelled.");
        }

        if (exitCode != ExitCodes.Success)
        {
            var kind = Enum.GetValues<FailureKind>().Cast<FailureKind?>().FirstOrDefault(candidate => ExitCodes.For(candidate!.Value) == exitCode);
            throw kind is { } known ? new DindBuildException(known, failure) : new CakeException(exitCode, failure);
        }
    });

Task("Test")
    .Description("Run DindBuild's own unit and integration tests (the integration tests start real DinD daemons, render reports in Chromium and pack the packages for the consumer test)")
    .IsDependentOn("PrepareImages")
    .Does(async () =>
    {
        if (DindBuild.Provisioning.AptPackages.CanInstall)
        {
            await new DindBuild.Provisioning.AptPackages(DindRecipe.Log).EnsureInstalledAsync(new[] { "chromium" }, "The report-rendering tests", DindRecipe.Cancellation);
        }

        var results = MakeAbsolute(Directory(DindRecipe.Settings.HostArtifactsDirectory)).Combine("test-results");
        CleanDirectory(results);
        DotNetTest("../DindBuild.slnx", new DotNetTestSettings
        {
            Configuration = "Release",
            ResultsDirectory = results,
            Loggers = { "trx", "console;verbosity=normal" },
        });
    });

DindRecipe.Run(Argument("target", "DindTest"));
