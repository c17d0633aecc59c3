using System.Text;
using CliWrap;
using CliWrap.Buffered;
using DindBuild.Diagnostics;
using Serilog;

namespace DindBuild.Provisioning;

/// <summary>
/// Runs the CLIs that have no API (apt, debootstrap, dockerd): output goes to the debug log as it
/// arrives, and a failure carries the command line and the last lines it printed.
/// </summary>
internal sealed class CommandRunner(ILogger log, ProgressReporter? progress = null)
{
    private readonly ProgressReporter _progress = progress ?? ProgressReporter.ForConsole(log);

    private const int EvidenceLines = 25;

    public async Task RunAsync(string program, IReadOnlyList<string> arguments, string whatFor, string howToFix, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var output = new StringBuilder();
        void Collect(string line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }

            log.Debug("{Program} │ {Line}", Path.GetFileName(program), line);
        }

        var command = Cli.Wrap(program)
            .WithArguments(arguments)
            .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
            .WithStandardOutputPipe(PipeTarget.ToDelegate(Collect))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(Collect))
            .WithValidation(CommandResultValidation.None);

        CommandResult result;
        try
        {
            using var activity = _progress.Start(char.ToUpperInvariant(whatFor[0]) + whatFor[1..]);
            result = await command.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new DindBuildException(FailureKind.Infrastructure, $"Could not {whatFor}: '{program}' could not be started.", ex.Message, howToFix, ex);
        }

        if (result.ExitCode != 0)
        {
            throw new DindBuildException(
                FailureKind.Infrastructure,
                $"Could not {whatFor}: '{program} {string.Join(' ', arguments)}' exited with code {result.ExitCode}.",
                TextTail.LastLines(output.ToString(), EvidenceLines),
                howToFix);
        }
    }

    /// <summary>Runs a short query and returns its standard output, or null when it fails or cannot start.</summary>
    public static async Task<string?> QueryAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            var result = await Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
            return result.ExitCode == 0 ? result.StandardOutput : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    public static string? FindOnPath(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
    }
}
