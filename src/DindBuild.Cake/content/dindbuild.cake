// DindBuild recipe for Cake 7: the targets (ProvisionEngine … DindTest, Teardown, Reap, Help) and the parameters
// (command line, DINDBUILD_* environment, dindbuild.json), each target a thin call into the DindBuild engine, where the
// logic lives and is tested. A build.cake loads it, may configure it and add targets, and ends by running it:
//
//   #load nuget:?package=DindBuild.Cake&version=1.2.3
//   DindRecipe.Configure(settings => settings.WithTestTimeout(TimeSpan.FromMinutes(10)));
//   Task("Lint").IsDependeeOf("BuildImage").Does(() => DotNetFormat(...));
//   DindRecipe.Run(Argument("target", "DindTest"));
//
// Nothing runs when this file is loaded: the parameters are read, the configure callbacks applied and the target run
// in DindRecipe.Run, so that the team's script can add its own targets first (the Cake.Recipe convention). The package
// adds the engine with '#addin nuget:?package=DindBuild&version=<this version>' (dindbuild-engine.cake, written when it
// is packed); DindBuild's own repository references the engine it builds from source instead (build/build.cake).

using DindBuild.Diagnostics;
using DindBuild.Hosting;
using DindBuild.Settings;
using System.Threading;

/// <summary>The recipe's hooks (before <see cref="Run"/>) and, inside tasks, the run's settings, engine and log.</summary>
public sealed class DindBuildRecipe
{
    private readonly List<Func<DindSettings, DindSettings>> _configure = new List<Func<DindSettings, DindSettings>>();
    private readonly Dictionary<string, string> _options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    private readonly Action<string> _run;
    private BuildRun _build;

    public DindBuildRecipe(Action<string> run)
    {
        _run = run;
    }

    /// <summary>Relative parameters resolve against it and dindbuild.json is read there. Default: the folder above build.cake's.</summary>
    public string RepositoryRoot { get; set; }

    /// <summary>The settings the run uses, after the parameters and every <see cref="Configure"/> callback; set by <see cref="Run"/>.</summary>
    public DindSettings Settings { get; private set; }

    /// <summary>The engine's build run (one call per target: <c>Build.BuildImageAsync(Cancellation)</c>); set by <see cref="Run"/>.</summary>
    public BuildRun Build => _build ?? throw new InvalidOperationException("DindRecipe.Build is there once DindRecipe.Run(target) has started: use it inside a task.");

    /// <summary>DindBuild's log (console, masked; the JSON log in the artifacts directory); set by <see cref="Run"/>.</summary>
    public Serilog.ILogger Log { get; private set; }

    /// <summary>Cancelled by the first Ctrl+C or SIGTERM; pass it on, and teardown still runs.</summary>
    public CancellationToken Cancellation { get; private set; }

    /// <summary>The team's options, accepted on the command line besides DindBuild's (which rejects unknown ones) and listed by Help.</summary>
    public IReadOnlyDictionary<string, string> Options => _options;

    /// <summary>Changes the settings after the parameters are read, e.g. <c>settings =&gt; settings.WithTestTimeout(...)</c>; in the order given.</summary>
    public void Configure(Func<DindSettings, DindSettings> change) => _configure.Add(change ?? throw new ArgumentNullException(nameof(change)));

    /// <summary>Declares a command-line option of the team's own (read it with Argument/HasArgument).</summary>
    public void AddOption(string name, string description) => _options[name.TrimStart('-')] = description;

    /// <summary>Reads the parameters, applies the callbacks and runs <paramref name="target"/>; call it last in build.cake.</summary>
    public void Run(string target)
    {
        if (Settings is not null)
        {
            throw new InvalidOperationException("DindRecipe.Run was called twice; call it once, at the end of build.cake.");
        }

        _run(target);
    }

    public DindSettings Apply(DindSettings settings) => _configure.Aggregate(settings, (current, change) => change(current) ?? throw new InvalidOperationException("A DindRecipe.Configure callback returned null; return the changed settings."));

    public void Started(DindSettings settings, Serilog.ILogger log, BuildRun build, CancellationToken cancellation)
    {
        Settings = settings;
        Log = log;
        _build = build;
        Cancellation = cancellation;
    }
}

var DindRecipe = new DindBuildRecipe(DindRecipeRun);

Task("ProvisionEngine")
    .Description("Make sure a host Docker engine answers; install docker.io and start dockerd when none does and this process may")
    .Does(() => DindRecipe.Build.ProvisionEngineAsync(DindRecipe.Cancellation));

Task("PrepareImages")
    .Description("Build the images this machine cannot pull (the DinD image, known base images) on the host engine")
    .IsDependentOn("ProvisionEngine")
    .Does(() => DindRecipe.Build.PrepareImagesAsync(DindRecipe.Cancellation));

Task("StartDaemon")
    .Description("dind: start a private Docker daemon in a container; dood/external: open a session on the existing daemon. Saved for later steps")
    .IsDependentOn("ProvisionEngine")
    .Does(() => DindRecipe.Build.StartDaemonAsync(DindRecipe.Cancellation));

Task("WaitForDaemon")
    .Description("Wait until the DinD daemon answers /_ping; fail at once, with its log, if it exits")
    .IsDependentOn("StartDaemon")
    .Does(() => DindRecipe.Build.WaitForDaemonAsync(DindRecipe.Cancellation));

Task("SeedImages")
    .Description("Copy the images the Dockerfile's FROM lines need from the host engine into the DinD daemon")
    .IsDependentOn("WaitForDaemon")
    .Does(() => DindRecipe.Build.SeedImagesAsync(DindRecipe.Cancellation));

Task("BuildImage")
    .Description("Build the image inside the DinD daemon from the build context")
    .IsDependentOn("SeedImages")
    .Does(() => DindRecipe.Build.BuildImageAsync(DindRecipe.Cancellation));

Task("RunTests")
    .Description("Run the tests in a container from the built image, with a volume at the artifacts path")
    .IsDependentOn("BuildImage")
    .Does(() => DindRecipe.Build.RunTestsAsync(DindRecipe.Cancellation));

Task("ExportArtifacts")
    .Description("Copy the artifacts volume to the host artifacts directory through the archive API")
    .IsDependentOn("RunTests")
    .Does(() => DindRecipe.Build.ExportArtifactsAsync(DindRecipe.Cancellation));

Task("PublishImage")
    .Description("After the tests passed: push the image (--publish REF), load it into the host engine (--load-into-host), save it (--save-image PATH)")
    .IsDependentOn("ExportArtifacts")
    .WithCriteria(() => DindRecipe.Settings.PublishRequested, "nothing to publish: no --publish, --load-into-host or --save-image")
    .Does(() => DindRecipe.Build.PublishImageAsync(DindRecipe.Cancellation));

Task("Teardown")
    .Description("Remove every container, volume and network labelled with the session (this run's, or a saved one), and its docker context; kept with --keep-daemon in DindTest")
    .Does(() => DindRecipe.Build.TeardownAsync());

Task("Reap")
    .Description("Remove the sessions whose build process is gone (killed runs); --reap-older-than also retires old kept sessions")
    .Does(() => DindRecipe.Build.ReapAsync(DindRecipe.Cancellation));

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
        Console.WriteLine(DindParameters.Help(DindRecipe.Settings.RepositoryRoot));
        if (DindRecipe.Options.Count > 0)
        {
            Console.WriteLine("This repository's options:");
            foreach (var option in DindRecipe.Options)
            {
                Console.WriteLine($"  --{option.Key}");
                Console.WriteLine($"      {option.Value}");
            }

            Console.WriteLine();
        }

        Console.WriteLine(CommandLineOptions.Help());
    });

Task("DindTest")
    .Description("The whole lifecycle: start, wait, seed, build, test, export, publish (when asked for); teardown always runs last")
    .IsDependentOn("ExportArtifacts")
    .IsDependentOn("PublishImage")
    .IsDependentOn("Teardown");

// What DindRecipe.Run does: a method of the script, because Cake's Teardown and RunTarget are the script host's.
void DindRecipeRun(string target)
{
    // build.sh filling Cake's script cache: the script is compiled and loaded; nothing is run.
    if (Environment.GetEnvironmentVariable("DINDBUILD_COMPILE_ONLY") == "1")
    {
        return;
    }

    TraceStartup("script loaded, recipe starts");
    var repositoryRoot = DindRecipe.RepositoryRoot ?? MakeAbsolute(Directory("..")).FullPath;
    var masker = new SecretMasker();
    var wholeRun = string.Equals(target, "DindTest", StringComparison.OrdinalIgnoreCase);
    DindSettings settings;
    ArtifactsDirectoryLock artifacts;
    try
    {
        // Cake accepts unknown options silently ('--dry-run' ran the real pipeline): every name must be ours, the team's or Cake's.
        CommandLineOptions.ThrowIfUnknown(Context.Arguments.GetArguments().Keys.Where(name => !DindRecipe.Options.ContainsKey(name.TrimStart('-'))));
        settings = DindRecipe.Apply(DindParameters.Read(
            repositoryRoot,
            name => HasArgument(name) ? Arguments<string>(name).ToList() : new List<string>(),
            Environment.GetEnvironmentVariable));

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

    TraceStartup("parameters read, inputs checked, artifacts directory locked");
    var log = DindLogging.CreateConsoleLogger(
        verbose: Context.Log.Verbosity >= Verbosity.Verbose,
        masker,
        jsonLogFile: artifacts.JsonLogFile,
        startFresh: wholeRun);
    var signals = ShutdownSignals.Install(log);
    var run = new BuildRun(settings, log, masker, wholeRun);
    DindRecipe.Started(settings, log, run, signals.Token);

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

    TraceStartup("log opened, target starting");
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
}

// DINDBUILD_TRACE_STARTUP=1 (see build.sh): a timestamped line on stderr when the script gets here, for the
// benchmark's break-down of the start-up.
void TraceStartup(string what)
{
    if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DINDBUILD_TRACE_STARTUP")))
    {
        Console.Error.WriteLine(FormattableString.Invariant($"dindbuild-startup: {(DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds:0.000000} {what}"));
    }
}
