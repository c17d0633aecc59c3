using Serilog;

namespace DindBuild.Provisioning.Dotnet;

/// <summary>
/// Fills a NuGet global-packages folder with what a context restores, restored here on the host (whose
/// NuGet config and trusted CAs reach the feeds) from a copy of the context's project files, so the
/// context's own tree gets no obj/ folders. In the image that folder lets <c>dotnet restore</c> find
/// every package without asking a source.
/// </summary>
internal sealed class WarmNuGetPackages(HostDotnetSdk sdk, ILogger log)
{
    // The caller's MSBuild (a test host, an IDE) must not steer the child's.
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["MSBuildExtensionsPath"] = null,
        ["MSBuildSDKsPath"] = null,
        ["MSBUILD_EXE_PATH"] = null,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
    };

    /// <summary>
    /// A failed restore fails the image: without its packages the stand-in would be labelled current
    /// and reused, and every build's restore would fail in the container, where the cause is harder to see.
    /// </summary>
    public async Task RestoreAsync(ContextProjects projects, string packagesDirectory, CancellationToken cancellationToken)
    {
        var copy = Path.Combine("/var/tmp", $"dindbuild-restore-{Guid.NewGuid():N}");
        try
        {
            foreach (var path in projects.RelativePaths)
            {
                var target = Path.Combine(copy, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(Path.Combine(projects.Directory, path), target);
            }

            foreach (var target in projects.RestoreTargets)
            {
                await new CommandRunner(log).RunAsync(
                    sdk.DotnetPath,
                    // Audit needs the feeds' vulnerability data, which is the build's own restore's business.
                    ["restore", Path.Combine(copy, target), "--packages", packagesDirectory, "-p:NuGetAudit=false", "--nologo"],
                    $"restore {target} of {projects.Directory} for the offline stand-in image",
                    "make 'dotnet restore' of this context work on this host (its NuGet feeds reachable, credentials configured), or make the real image available on the engine (docker load), which DindBuild then uses instead.",
                    cancellationToken,
                    Environment).ConfigureAwait(false);
            }

            var count = Directory.Exists(packagesDirectory) ? Directory.GetDirectories(packagesDirectory).Length : 0;
            log.Information("Warmed {Count} NuGet packages ({Targets}) for the image, so its restore needs no feed", count, string.Join(", ", projects.RestoreTargets));
        }
        finally
        {
            if (Directory.Exists(copy))
            {
                Directory.Delete(copy, recursive: true);
            }
        }
    }
}
