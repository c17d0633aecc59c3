using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Sinks.SystemConsole.Themes;

namespace DindBuild.Diagnostics;

/// <summary>The engine logs through Serilog only; this builds the console logger and, optionally, the JSON-lines log file.</summary>
public static class DindLogging
{
    /// <summary>The machine-readable log's name in the artifacts directory.</summary>
    public const string JsonLogFileName = "dindbuild-log.jsonl";

    // The exception comes escaped line by line from EscapingSink, never raw.
    internal const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{" + EscapingSink.ExceptionProperty + ":l}";

    /// <param name="verbose">Debug events on the console too.</param>
    /// <param name="masker">Secrets to mask in every event, for every sink.</param>
    /// <param name="jsonLogFile">
    /// Also write every event, Debug and up, to this file in Serilog's compact JSON format (one
    /// object per line: <c>@t</c>, <c>@mt</c>, <c>@l</c>, properties), appended to. Skipped, with a
    /// warning on the console, when the file cannot be opened: a log file never fails a build.
    /// </param>
    /// <param name="startFresh">Empty the file first (a whole run); separate steps of one session append.</param>
    public static Serilog.Core.Logger CreateConsoleLogger(bool verbose = false, SecretMasker? masker = null, string? jsonLogFile = null, bool startFresh = false)
    {
        // Colour only on a terminal: CI log viewers show ANSI codes as garbage when they don't render them.
        var theme = Console.IsOutputRedirected ? ConsoleTheme.None : AnsiConsoleTheme.Code;
        var console = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .WriteTo.Console(outputTemplate: ConsoleTemplate, theme: theme, formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.With(new SecretMaskingEnricher(masker ?? new SecretMasker()))
            .WriteTo.Sink(new ClearTerminalLineSink(TerminalLine.Console, new EscapingSink(console)), verbose ? LogEventLevel.Debug : LogEventLevel.Information);
        string? problem = null;
        if (jsonLogFile is not null)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonLogFile))!);
                ReplaceAnythingButOwnFile(jsonLogFile, startFresh);
                using (new FileStream(jsonLogFile, FileMode.Append, FileAccess.Write))
                {
                    // Opened once here so that a failure is reported, not swallowed by the sink.
                }

                configuration = configuration.WriteTo.File(new CompactJsonFormatter(), jsonLogFile, shared: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problem = ex.Message;
            }
        }

        var logger = configuration.CreateLogger();
        if (problem is not null)
        {
            logger.Warning("No JSON-lines log at {File}: {Reason}", jsonLogFile, problem);
        }

        return logger;
    }

    /// <summary>
    /// The log is DindBuild's own file in a directory that also holds what a container wrote. A symlink at its
    /// name is removed rather than followed (export refuses to create one; anything else may have), and a fresh
    /// start deletes the old file rather than truncating it, so no other name that shares its inode is emptied.
    /// </summary>
    private static void ReplaceAnythingButOwnFile(string path, bool startFresh)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || (startFresh && info.Exists))
        {
            info.Delete();
        }
    }
}
