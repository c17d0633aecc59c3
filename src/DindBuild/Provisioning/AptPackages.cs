using DindBuild.Diagnostics;
using Serilog;

namespace DindBuild.Provisioning;

/// <summary><c>apt-get install</c> of Debian packages the project needs on the build host.</summary>
public sealed class AptPackages(ILogger log)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _listsUpdated;

    public static bool CanInstall => Environment.UserName == "root" && CommandRunner.FindOnPath("apt-get") is not null;

    public static async Task<bool> IsInstalledAsync(string package, CancellationToken cancellationToken)
    {
        var status = await CommandRunner.QueryAsync("dpkg-query", ["-W", "-f=${Status}", package], cancellationToken).ConfigureAwait(false);
        return status?.Contains("install ok installed", StringComparison.Ordinal) == true;
    }

    public async Task EnsureInstalledAsync(IReadOnlyList<string> packages, string whatFor, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var missing = new List<string>();
            foreach (var package in packages)
            {
                if (!await IsInstalledAsync(package, cancellationToken).ConfigureAwait(false))
                {
                    missing.Add(package);
                }
            }

            if (missing.Count == 0)
            {
                return;
            }

            var howToFix = $"install the packages yourself ('apt-get install -y {string.Join(' ', missing)}') and run again.";
            if (!CanInstall)
            {
                throw new DindBuildException(
                    FailureKind.Infrastructure,
                    $"{whatFor} needs the Debian packages {string.Join(", ", missing)}, and this process cannot install them.",
                    $"user: {Environment.UserName}; apt-get: {CommandRunner.FindOnPath("apt-get") ?? "not found"}",
                    howToFix);
            }

            log.Information("Installing {Packages} with apt-get ({WhatFor})", string.Join(' ', missing), whatFor);
            var runner = new CommandRunner(log);
            var environment = new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" };
            string[] waitForLock = ["-o", "DPkg::Lock::Timeout=300"];
            if (!_listsUpdated)
            {
                await runner.RunAsync("apt-get", [.. waitForLock, "update", "-qq"], "update the apt package lists", howToFix, cancellationToken, environment).ConfigureAwait(false);
                _listsUpdated = true;
            }

            await runner.RunAsync("apt-get", [.. waitForLock, "install", "-y", "-qq", .. missing], $"install {string.Join(' ', missing)}", howToFix, cancellationToken, environment).ConfigureAwait(false);
        }
        finally
        {
            Gate.Release();
        }
    }
}
