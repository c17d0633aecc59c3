using System.Collections.Immutable;
using Serilog;

namespace DindBuild.Provisioning.Dotnet;

/// <summary>
/// An offline stand-in for Microsoft's <c>mcr.microsoft.com/dotnet/sdk</c> image, for machines that
/// cannot pull it: Debian trixie with the runtime dependencies .NET needs there, this host's own .NET
/// SDK copied to <c>/usr/share/dotnet</c> (as the real image has it), and a NuGet global-packages
/// folder holding what the build context restores — containers on such machines reach no feed over
/// HTTPS. Labelled <see cref="ImageRecipe.StandInLabel"/> so that a real image of the tag is never
/// replaced, and with a description saying what it is.
/// </summary>
internal static class DotnetSdkStandIn
{
    public const string Repository = "mcr.microsoft.com/dotnet/sdk";

    /// <summary>Raise it when the way the content is made changes: images of the old revision are rebuilt.</summary>
    private const int Revision = 1;

    /// <summary>What the official trixie image installs for the runtime (runtime-deps), nothing more: no git, curl or PowerShell.</summary>
    private static readonly ImmutableArray<string> Packages = ["ca-certificates", "libc6", "libgcc-s1", "libicu76", "libssl3t64", "libstdc++6", "tzdata", "zlib1g"];

    /// <summary>A recipe for the tags this host's SDK truly is: its channel or exact version, plain or <c>-trixie</c>.</summary>
    public static ImageRecipe? ForImage(string imageName, string? contextDirectory) =>
        HostDotnetSdk.OnThisHost is { } sdk ? ForImage(imageName, contextDirectory, sdk) : null;

    public static ImageRecipe? ForImage(string imageName, string? contextDirectory, HostDotnetSdk sdk)
    {
        string[] tags = [sdk.Channel, sdk.Channel + "-trixie", sdk.SdkVersion, sdk.SdkVersion + "-trixie"];
        if (!tags.Any(tag => imageName == $"{Repository}:{tag}"))
        {
            return null;
        }

        var projects = contextDirectory is null ? null : ContextProjects.Find(contextDirectory);
        var description = $"DindBuild's offline stand-in for {imageName}, not Microsoft's image: Debian trixie, this host's .NET SDK {sdk.SdkVersion}, "
            + (projects is null ? "no NuGet packages" : "and the NuGet packages its build context restores");
        ImmutableArray<string> environment =
        [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            // The variables of the real image, so that Dockerfiles and tests that read them behave the same.
            "DOTNET_RUNNING_IN_CONTAINER=true",
            "ASPNETCORE_HTTP_PORTS=8080",
            "DOTNET_VERSION=" + sdk.RuntimeVersion,
            .. sdk.AspNetVersion is null ? ImmutableArray<string>.Empty : ["ASPNET_VERSION=" + sdk.AspNetVersion],
            "DOTNET_SDK_VERSION=" + sdk.SdkVersion,
            "DOTNET_GENERATE_ASPNET_CERTIFICATE=false",
            "DOTNET_NOLOGO=true",
            "DOTNET_USE_POLLING_FILE_WATCHER=true",
            "NUGET_XMLDOC_MODE=skip",
        ];
        return new ImageRecipe(
            imageName,
            "trixie",
            Packages,
            [
                .. environment.Select(variable => "ENV " + variable),
                $"LABEL {ImageRecipe.StandInLabel}=true",
                $"LABEL org.opencontainers.image.description=\"{description}\"",
                "CMD [\"bash\"]",
            ])
        {
            Addition = new Content(sdk, projects),
            IsStandIn = true,
        };
    }

    private sealed class Content(HostDotnetSdk sdk, ContextProjects? projects) : IRootfsAddition
    {
        public string Fingerprint => $"revision {Revision}; sdk {sdk.SdkVersion}; runtime {sdk.RuntimeVersion}; aspnet {sdk.AspNetVersion}; projects {projects?.Hash ?? "none"}";

        public async Task AddToAsync(string root, ILogger log, CancellationToken cancellationToken)
        {
            var dotnet = Path.Combine(root, "usr", "share", "dotnet");
            Directory.CreateDirectory(dotnet);
            await new CommandRunner(log).RunAsync(
                "cp",
                ["-a", sdk.Root + "/.", dotnet],
                $"copy this host's .NET SDK {sdk.SdkVersion} from {sdk.Root} into the image",
                "check the disk space under /var/tmp.",
                cancellationToken).ConfigureAwait(false);
            File.CreateSymbolicLink(Path.Combine(root, "usr", "bin", "dotnet"), "/usr/share/dotnet/dotnet");
            AptCaches.Remove(root);

            if (projects is not null)
            {
                // root's default global-packages folder, where the build's 'dotnet restore' looks first.
                await new WarmNuGetPackages(sdk, log).RestoreAsync(projects, Path.Combine(root, "root", ".nuget", "packages"), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
