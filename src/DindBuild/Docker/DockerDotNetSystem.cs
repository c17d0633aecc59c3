using Docker.DotNet;

namespace DindBuild.Docker;

internal sealed class DockerDotNetSystem(DockerClient client) : IDockerSystem
{
    public Task PingAsync(CancellationToken cancellationToken) => client.System.PingAsync(cancellationToken);

    public async Task<EngineVersion> GetVersionAsync(CancellationToken cancellationToken)
    {
        var version = await client.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        return new EngineVersion(version.Version ?? "?", version.APIVersion ?? "?", version.MinAPIVersion ?? "?", version.Os ?? "?", version.Arch ?? "?");
    }

    public async Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var info = await client.System.GetSystemInfoAsync(cancellationToken).ConfigureAwait(false);
        return new EngineInfo(info.ID ?? "", info.Name ?? "", info.Driver ?? "", info.CgroupVersion ?? "", info.DockerRootDir ?? "", info.OperatingSystem ?? "")
        {
            KernelVersion = info.KernelVersion ?? "",
        };
    }
}
