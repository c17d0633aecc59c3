using DindBuild.Docker;
using DindBuild.Modes;
using DindBuild.Provisioning;
using Serilog;

namespace DindBuild.Hosting;

/// <summary>
/// The build tool's engine connector: when the host engine does not answer and this process may,
/// it installs and starts one first (<see cref="HostEngineProvisioner"/>); an external daemon is
/// never provisioned.
/// </summary>
internal sealed class ProvisioningEngineConnector(ILogger log) : IEngineConnector
{
    private readonly EngineConnector _engines = new(log);

    public async Task<IDockerEngine> ConnectAsync(DockerEndpoint endpoint, EngineRole role, CancellationToken cancellationToken)
    {
        var answering = role == EngineRole.HostEngine
            ? await new HostEngineProvisioner(log).EnsureAsync(endpoint, cancellationToken).ConfigureAwait(false)
            : endpoint;
        return await _engines.ConnectAsync(answering, role, cancellationToken).ConfigureAwait(false);
    }

    public IDockerEngine Open(DockerEndpoint endpoint) => _engines.Open(endpoint);
}
