// DindBuild targets. Each target is a thin call into the engine (src/DindBuild), where the logic
// lives and is tested. build.sh builds the engine into .dindbuild/engine before Cake starts.
#r "../.dindbuild/engine/DindBuild.dll"
#r "../.dindbuild/engine/Serilog.dll"
#r "../.dindbuild/engine/Serilog.Sinks.Console.dll"
#r "../.dindbuild/engine/Serilog.Sinks.File.dll"
#r "../.dindbuild/engine/Serilog.Formatting.Compact.dll"
#r "../.dindbuild/engine/CliWrap.dll"
#r "../.dindbuild/engine/Docker.DotNet.dll"
#r "../.dindbuild/engine/Docker.DotNet.X509.dll"

using DindBuild.Diagnostics;
using DindBuild.Hosting;
using DindBuild.Settings;

var target = Argument("target", "DindTest");
var repositoryRoot = MakeAbsolute(Directory("..")).FullPath;
var masker = new SecretMasker();
var wholeRun = string.Equals(target, "DindTest", StringComparison.OrdinalIgnoreCase);
DindSettings settings;
ArtifactsDirectoryLock artifacts;
try
{
    // Cake accepts unknown options silently ('--dry-run' ran the real pipeline): every name must be ours or Cake's.
    CommandLineOptions.ThrowIfUnknown(Context.Arguments.GetArguments().Keys);
    settings = DindParameters.Read(
        repositoryRoot,
        name => HasArgument(name) ? Arguments<string>(name).ToList() : new List<string>(),
        Environment.GetEnvironmentVariable);

    // Before any daemon starts: a missing context or Dockerfile, an unknown stage, an unwritable artifacts directory.
    BuildRun.CheckInputs(settings, target, exclusive: HasArgument("exclusive") || HasArgument("e"));

    // Before the JSON log is opened (DindTest empties it): a second run in the same artifacts directory is refused here.
    // --tree, --description and --dryrun run no task: like Help, they neither lock nor log there.
    var showsOnly = HasArgument("tree") || HasArgument("description") || HasArgument("dryrun");
    artifacts = ArtifactsDirectoryLock.ForTarget(settings, showsOnly ? "Help" : target);
}
catch (DindBuildException ex)
{
    // No step has run yet, so the CI system hears of it here.
    DindBuild.Reporting.CiOutput.Detect(Environment.GetEnvironmentVariable, Console.Out).Failure("DindBuild: bad parameters or input", ex.WhatFailed + " " + ex.Evidence, ex.Location?.RelativeTo(repositoryRoot));
    throw new CakeException(ExitCodes.For(ex), ex.Message);
}
var log = DindLogging.CreateConsoleLogger(
    verbose: Context.Log.Verbosity >= Verbosity.Verbose,
    masker,
    jsonLogFile: artifacts.JsonLogFile,
    startFresh: wholeRun);
var signals = ShutdownSignals.Install(log);
var run = new BuildRun(settings, log, masker, wholeRun);
var cancel = signals.Token;

Task("ProvisionEngine")
    .Description("Make sure a host Docker engine answers; install docker.io and start dockerd when none does and this process may")
    .Does(() => run.ProvisionEngineAsync(cancel));

Task("PrepareImages")
    .Description("Build the images this machine cannot pull (the DinD image, the sample's base) on the host engine")
    .IsDependentOn("ProvisionEngine")
    .Does(() => run.PrepareImagesAsync(cancel));

Task("StartDaemon")
    .Description("dind: start a private Docker daemon in a container; dood/external: open a session on the existing daemon. Saved for later steps")
    .IsDependentOn("ProvisionEngine")
    .Does(() => run.StartDaemonAsync(cancel));

Task("WaitForDaemon")
    .Description("Wait until the DinD daemon answers /_ping; fail at once, with its log, if it exits")
    .IsDependentOn("StartDaemon")
    .Does(() => run.WaitForDaemonAsync(cancel));

Task("SeedImages")
    .Description("Copy the images the Dockerfile's FROM lines need from the host engine into the DinD daemon")
    .IsDependentOn("WaitForDaemon")
    .Does(() => run.SeedImagesAsync(cancel));

Task("BuildImage")
    .Description("Build the image inside the DinD daemon from the build context")
    .IsDependentOn("SeedImages")
    .Does(() => run.BuildImageAsync(cancel));

Task("RunTests")
    .Description("Run the tests in a container from the built image, with a volume at the artifacts path")
    .IsDependentOn("BuildImage")
    .Does(() => run.RunTestsAsync(cancel));

Task("ExportArtifacts")
    .Description("Copy the artifacts volume to the host artifacts directory through the archive API")
    .IsDependentOn("RunTests")
    .Does(() => run.ExportArtifactsAsync(cancel));

Task("Teardown")
    .Description("Remove every container, volume and network labelled with the session (this run's, or a saved one), and its docker context; kept with --keep-daemon in DindTest")
    .Does(() => run.TeardownAsync());

Task("Reap")
    .Description("Remove the sessions whose build process is gone (killed runs); --reap-older-than also retires old kept sessions")
    .Does(() => run.ReapAsync(cancel));

Task("RenderReport")
    .Description("Render artifacts/dindbuild-report.html to a PNG next to it in headless Chromium (installs Debian's chromium when missing)")
    .Does(() => new DindBuild.Reporting.ChromiumRenderer(log).RenderAsync(
        run.ReportPathWithoutExtension + ".html", run.ReportPathWithoutExtension + ".png", width: 1100, height: 2200, cancel));

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

Task("Help")
    .Description("List the targets and every parameter with its default, environment variable and parameters-file key (also: --help)")
    .Does(() =>
    {
        Console.WriteLine("Usage: ./build.sh [TARGET] [--parameter value ...]   (default target: DindTest)");
        Console.WriteLine();
        Console.WriteLine("Targets:");
        foreach (var task in Tasks)
        {
            Console.WriteLine($"  {task.Name,-16} {task.Description}");
        }

        Console.WriteLine();
        Console.WriteLine(DindParameters.Help(repositoryRoot));
        Console.WriteLine(CommandLineOptions.Help());
    });

Task("DindTest")
    .Description("The whole lifecycle: start, wait, seed, build, test, export; teardown always runs last")
    .IsDependentOn("ExportArtifacts")
    .IsDependentOn("Teardown");

Task("Test")
    .Description("Run DindBuild's own unit and integration tests (the integration tests start real DinD daemons and render reports in Chromium)")
    .IsDependentOn("PrepareImages")
    .Does(async () =>
    {
        if (DindBuild.Provisioning.AptPackages.CanInstall)
        {
            await new DindBuild.Provisioning.AptPackages(log).EnsureInstalledAsync(new[] { "chromium" }, "The report-rendering tests", cancel);
        }

        var results = MakeAbsolute(Directory(settings.HostArtifactsDirectory)).Combine("test-results");
        CleanDirectory(results);
        DotNetTest("../DindBuild.slnx", new DotNetTestSettings
        {
            Configuration = "Release",
            ResultsDirectory = results,
            Loggers = { "trx", "console;verbosity=normal" },
        });
    });

// Runs after success, failure and Ctrl+C alike (the signal handler turns Ctrl+C into a cancellation).
// DindTest removes its session here; a single step keeps it, saved, for the next step.
Teardown(context =>
{
    try
    {
        run.FinishAsync().GetAwaiter().GetResult();
    }
    finally
    {
        run.LogSummary();
        signals.Dispose();
        log.Dispose();
        artifacts.Dispose();
    }
});

if (!Tasks.Any(task => string.Equals(task.Name, target, StringComparison.OrdinalIgnoreCase)))
{
    var names = string.Join(Environment.NewLine, Tasks.Select(task => $"  {task.Name,-16} {task.Description}"));
    throw new CakeException(ExitCodes.BadParameters, $"Unknown target '{target}'. The targets are:{Environment.NewLine}{names}");
}

try
{
    RunTarget(target);
}
catch (Exception ex) when (ExitCodes.For(ex) is var code && code != ExitCodes.Unexpected)
{
    // Thrown here, outside any task, Cake exits with this code (inside a task it would be 1).
    throw new CakeException(code, ex.Message);
}
catch (Exception ex) when (ex is not CakeException)
{
    // Cake prints the message as it is, and an unexpected one may quote a container (a path, a name): escaped
    // line by line and shortened, like everything else DindBuild prints. The exit code stays 1.
    throw new CakeException(ExitCodes.Unexpected, SafeText.Shorten(SafeText.Lines(ex.Message), 2000), ex);
}
