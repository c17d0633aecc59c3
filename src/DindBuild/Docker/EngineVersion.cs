namespace DindBuild.Docker;

/// <summary>What <c>docker version</c> reports for the server side.</summary>
public sealed record EngineVersion(string Version, string ApiVersion, string MinApiVersion, string Os, string Arch)
{
    /// <summary>The oldest Engine API this project's client calls are written against (Docker 20.10).</summary>
    public static readonly Version MinimumSupportedApi = new(1, 41);

    public Version Api => System.Version.TryParse(ApiVersion, out var parsed) ? parsed : new Version(0, 0);

    public bool IsSupported => Api >= MinimumSupportedApi;

    /// <summary>
    /// BuildKit is built into every Linux daemon from Engine 18.09 (API 1.39) on and answers <c>POST /build?version=2</c>.
    /// <c>/_ping</c>'s <c>Builder-Version: 2</c> header says only which builder the CLI should default to (Docker 20.10
    /// sends none unless <c>features.buildkit</c> is set, and still builds with BuildKit: measured), so it is not asked.
    /// </summary>
    public bool HasBuildKit => Api >= new Version(1, 39) && string.Equals(Os, "linux", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"Docker {Version} (API {ApiVersion}, {Os}/{Arch})";
}

/// <summary>What <c>docker info</c> reports that a run needs to know.</summary>
public sealed record EngineInfo(string Id, string Name, string StorageDriver, string CgroupVersion, string DockerRootDir, string OperatingSystem)
{
    /// <summary>The engine host's kernel (<c>docker info --format '{{.KernelVersion}}'</c>); empty where the engine does not say.</summary>
    public string KernelVersion { get; init; } = "";
}
