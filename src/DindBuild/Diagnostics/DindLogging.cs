using Serilog;
using Serilog.Events;
using Serilog.Sinks.SystemConsole.Themes;

namespace DindBuild.Diagnostics;

/// <summary>The engine logs through Serilog only; this builds the human-readable console logger.</summary>
public static class DindLogging
{
    private const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    public static ILogger CreateConsoleLogger(bool verbose = false, SecretMasker? masker = null)
    {
        // Colour only on a terminal: CI log viewers show ANSI codes as garbage when they don't render them.
        var theme = Console.IsOutputRedirected ? ConsoleTheme.None : AnsiConsoleTheme.Code;
        return new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Information)
            .Enrich.With(new SecretMaskingEnricher(masker ?? new SecretMasker()))
            .WriteTo.Console(outputTemplate: ConsoleTemplate, theme: theme, formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
    }
}
