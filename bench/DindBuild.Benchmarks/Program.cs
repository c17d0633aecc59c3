using DindBuild.Benchmarks;
using DindBuild.Diagnostics;
using DindBuild.Hosting;
using DindBuild.Settings;

// './build.sh Benchmark' runs this with the DindBuild parameters it was given; it can also be run
// directly: dotnet run --project bench/DindBuild.Benchmarks -c Release -- [--name value ...]
CommandLine line;
try
{
    line = CommandLine.Parse(args, DindParameters.All);
}
catch (FormatException ex)
{
    await Console.Error.WriteLineAsync($"DindBuild.Benchmarks: {ex.Message}");
    return ExitCodes.BadParameters;
}

var repositoryRoot = line.RepositoryRoot is { } given ? Path.GetFullPath(given) : FindRepositoryRoot();
if (repositoryRoot is null || !File.Exists(Path.Combine(repositoryRoot, "build.sh")))
{
    await Console.Error.WriteLineAsync($"DindBuild.Benchmarks: {repositoryRoot ?? "no DindBuild.slnx above " + AppContext.BaseDirectory} is not the DindBuild repository (no build.sh); give --repository-root");
    return ExitCodes.BadParameters;
}

if (line.Help)
{
    Console.WriteLine("Usage: dotnet run --project bench/DindBuild.Benchmarks -c Release -- [--name value ...]   (or ./build.sh Benchmark [--name value ...])");
    Console.WriteLine();
    Console.WriteLine("Measures every lifecycle step against a baseline measured in the same run (needs a host Docker engine; about 9 minutes, 6 without --skip dotnet).");
    Console.WriteLine("The table goes to the console, the same as JSON to <artifacts-dir>/benchmark.json.");
    Console.WriteLine();
    Console.WriteLine("Options of this program:");
    Console.WriteLine("  --list                   print the resolved settings and exit; touches no Docker engine");
    Console.WriteLine("  --only GROUP[,GROUP]     run only these groups of rows: " + string.Join(", ", BenchmarkGroups.Names));
    Console.WriteLine("  --skip GROUP[,GROUP]     leave these out (dotnet, the .NET sample, takes about 2 minutes)");
    Console.WriteLine("  --verbose                debug events on the console too");
    Console.WriteLine("  --repository-root DIR    the DindBuild checkout (default: found above this program, here " + repositoryRoot + ")");
    Console.WriteLine("  --help, -h               this text");
    Console.WriteLine();
    Console.WriteLine(DindParameters.Help(repositoryRoot));
    return ExitCodes.Success;
}

DindSettings settings;
try
{
    settings = DindParameters.Read(repositoryRoot, line.Values, Environment.GetEnvironmentVariable);
}
catch (DindBuildException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return ExitCodes.For(ex);
}

if (line.List)
{
    Console.WriteLine($"repository root: {settings.RepositoryRoot}");
    Console.WriteLine($"rounds:          {settings.BenchmarkRounds}");
    Console.WriteLine($"groups:          {line.Groups}");
    Console.WriteLine($"results:         {Path.Combine(settings.HostArtifactsDirectory, "benchmark.json")}");
    Console.WriteLine("parameters:");
    foreach (var parameter in DindParameters.All)
    {
        Console.WriteLine($"  --{parameter.Name,-20} {parameter.DefaultText(settings)}");
    }

    return ExitCodes.Success;
}

using var log = DindLogging.CreateConsoleLogger(
    verbose: line.Verbose,
    new SecretMasker(),
    jsonLogFile: Path.Combine(settings.HostArtifactsDirectory, DindLogging.JsonLogFileName));
using var signals = ShutdownSignals.Install(log);
try
{
    await new BenchmarkSuite(settings, log) { Groups = line.Groups }.RunAndReportAsync(settings.BenchmarkRounds, signals.Token).ConfigureAwait(false);
    return ExitCodes.Success;
}
catch (Exception ex)
{
    var code = ExitCodes.For(ex);
    if (code == ExitCodes.Cancelled)
    {
        log.Warning("Benchmark cancelled");
    }
    else
    {
        log.Fatal(ex, "Benchmark failed");
    }

    return code;
}

// The checkout this program was built in: bin/ sits below bench/DindBuild.Benchmarks, below the
// root. The working directory does not matter (Cake starts it in build/).
static string? FindRepositoryRoot()
{
    foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DindBuild.slnx")))
            {
                return directory.FullName;
            }
        }
    }

    return null;
}
