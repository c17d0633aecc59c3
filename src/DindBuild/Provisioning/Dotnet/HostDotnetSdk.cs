namespace DindBuild.Provisioning.Dotnet;

/// <summary>The .NET SDK installed on this host (the one that runs DindBuild): where it is and which versions it has.</summary>
internal sealed record HostDotnetSdk(string Root, string SdkVersion, string RuntimeVersion, string? AspNetVersion)
{
    private static readonly Lazy<HostDotnetSdk?> Current = new(() => Find(Environment.GetEnvironmentVariable("DOTNET_ROOT"), CommandRunner.FindOnPath("dotnet")));

    /// <summary>The SDK's channel, as the official images tag it: 10.0.401 → <c>10.0</c>.</summary>
    public string Channel => string.Join('.', SdkVersion.Split('.').Take(2));

    public string DotnetPath => Path.Combine(Root, "dotnet");

    public static HostDotnetSdk? OnThisHost => Current.Value;

    /// <summary>DOTNET_ROOT, else the directory of the <c>dotnet</c> on PATH (through its symlink), else Debian's and Microsoft's default.</summary>
    public static HostDotnetSdk? Find(string? dotnetRoot, string? dotnetOnPath)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(dotnetRoot))
        {
            candidates.Add(dotnetRoot);
        }

        if (dotnetOnPath is not null)
        {
            var target = File.ResolveLinkTarget(dotnetOnPath, returnFinalTarget: true)?.FullName ?? dotnetOnPath;
            candidates.Add(Path.GetDirectoryName(target)!);
        }

        candidates.Add("/usr/share/dotnet");
        candidates.Add("/usr/lib/dotnet");
        return candidates.Select(FromRoot).FirstOrDefault(sdk => sdk is not null);
    }

    public static HostDotnetSdk? FromRoot(string root)
    {
        if (!File.Exists(Path.Combine(root, "dotnet")) || Newest(Path.Combine(root, "sdk")) is not { } sdk)
        {
            return null;
        }

        var major = sdk.Split('.')[0] + ".";
        var runtime = Newest(Path.Combine(root, "shared", "Microsoft.NETCore.App"), major);
        return runtime is null ? null : new HostDotnetSdk(root, sdk, runtime, Newest(Path.Combine(root, "shared", "Microsoft.AspNetCore.App"), major));
    }

    /// <summary>The highest version-named subdirectory (stable before prerelease of the same number).</summary>
    private static string? Newest(string directory, string prefix = "")
    {
        if (!Directory.Exists(directory))
        {
            return null;
        }

        return Directory.GetDirectories(directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && Version.TryParse(name.Split('-')[0], out _))
            .OrderBy(name => Version.Parse(name.Split('-')[0]))
            .ThenBy(name => !name.Contains('-', StringComparison.Ordinal))
            .LastOrDefault();
    }
}
