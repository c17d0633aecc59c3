using CliWrap;
using CliWrap.Buffered;
using DindBuild.Diagnostics;
using DindBuild.Provisioning;
using Serilog;

namespace DindBuild.Reporting;

/// <summary>
/// The run report as a user sees it: Debian's <c>chromium</c>, headless, renders the page to a PNG
/// (<c>--screenshot</c>) or prints the DOM it built (<c>--dump-dom</c>). Installs the package when
/// missing and this process may.
/// </summary>
public sealed class ChromiumRenderer(ILogger log)
{
    /// <summary>Headless, no sandbox (root in a container has none), and nothing that reaches the network.</summary>
    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1",
    ];

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Renders <paramref name="htmlFile"/> to <paramref name="pngFile"/> in a window of the given size.</summary>
    public async Task RenderAsync(string htmlFile, string pngFile, int width, int height, CancellationToken cancellationToken)
    {
        File.Delete(pngFile);
        await RunAsync(htmlFile, [$"--window-size={width},{height}", $"--screenshot={Path.GetFullPath(pngFile)}"], cancellationToken).ConfigureAwait(false);
        if (!File.Exists(pngFile))
        {
            throw new DindBuildException(FailureKind.Infrastructure, $"Chromium wrote no screenshot of {htmlFile} to {pngFile}.", null, "run the same chromium command by hand to see why.");
        }

        log.Information("Rendered {Html} to {Png}", htmlFile, pngFile);
    }

    /// <summary>The page's DOM after Chromium parsed and laid it out, as HTML text.</summary>
    public Task<string> DumpDomAsync(string htmlFile, CancellationToken cancellationToken) => RunAsync(htmlFile, ["--dump-dom"], cancellationToken);

    private async Task<string> RunAsync(string htmlFile, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!File.Exists(htmlFile))
        {
            throw new DindBuildException(FailureKind.BadParameters, $"There is no report to render at {htmlFile}.", null, "run DindTest (or any lifecycle step) first; it writes artifacts/dindbuild-report.html.");
        }

        var chromium = await FindOrInstallAsync(cancellationToken).ConfigureAwait(false);
        var profile = Directory.CreateTempSubdirectory("dindbuild-chromium-");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            var result = await Cli.Wrap(chromium)
                .WithArguments([.. Flags, $"--user-data-dir={profile.FullName}", .. arguments, new Uri(Path.GetFullPath(htmlFile)).AbsoluteUri])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(timeout.Token)
                .ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw new DindBuildException(
                    FailureKind.Infrastructure,
                    $"Chromium could not render {htmlFile}: it exited with code {result.ExitCode}.",
                    TextTail.LastLines(result.StandardError, 20),
                    "check that the 'chromium' package works here ('chromium --headless --no-sandbox --dump-dom about:blank').");
            }

            return result.StandardOutput;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    private async Task<string> FindOrInstallAsync(CancellationToken cancellationToken)
    {
        if ((CommandRunner.FindOnPath("chromium") ?? CommandRunner.FindOnPath("chromium-browser")) is { } found)
        {
            return found;
        }

        await new AptPackages(log).EnsureInstalledAsync(["chromium"], "Rendering the run report", cancellationToken).ConfigureAwait(false);
        return CommandRunner.FindOnPath("chromium")
            ?? throw new DindBuildException(FailureKind.Infrastructure, "The chromium package is installed but no 'chromium' is on PATH.", Environment.GetEnvironmentVariable("PATH"), "add /usr/bin to PATH.");
    }
}
