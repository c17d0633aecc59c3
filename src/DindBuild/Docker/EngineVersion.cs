namespace DindBuild.Docker;

/// <summary>What <c>docker version</c> reports for the server side.</summary>
public sealed record EngineVersion(string Version, string ApiVersion, string MinApiVersion, string Os, string Arch)
{
    /// <summary>The oldest Engine API this project's client calls are written against (Docker 20.10).</summary>
    public static readonly Version MinimumSupportedApi = new(1, 41);

    public Version Api => System.Version.TryParse(ApiVersion, out var parsed) ? parsed : new Version(0, 0);

    public bool IsSupported => Api >= MinimumSupportedApi;

    public override string ToString() => $"Docker {Version} (API {ApiVersion}, {Os}/{Arch})";
}

/// <summary>What <c>docker info</c> reports that a run needs to know.</summary>
public sealed record EngineInfo(string Id, string Name, string StorageDriver, string CgroupVersion, string DockerRootDir, string OperatingSystem);
