using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace DindBuild.Docker;

internal sealed class DockerDotNetNetworks(DockerClient client) : IDockerNetworks
{
    public async Task<string> CreateAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var response = await client.Networks.CreateNetworkAsync(
            new NetworksCreateParameters { Name = name, Driver = "bridge", Labels = labels.ToDictionary() },
            cancellationToken).ConfigureAwait(false);
        return response.ID;
    }

    /// <summary>
    /// <c>docker network rm</c>; a container still attached that is not ours (a CI service, a registry joined to the
    /// session's network) is disconnected first (<c>docker network disconnect -f</c>): our own are removed before
    /// their network, so what is left would only make the removal fail with "has active endpoints".
    /// </summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await client.Networks.DeleteNetworkAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone is what removal wants.
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Forbidden && (ex.ResponseBody ?? "").Contains("active endpoints", StringComparison.OrdinalIgnoreCase))
        {
            var network = await client.Networks.InspectNetworkAsync(id, cancellationToken).ConfigureAwait(false);
            foreach (var container in network.Containers?.Keys ?? [])
            {
                await client.Networks.DisconnectNetworkAsync(id, new NetworkDisconnectParameters { Container = container, Force = true }, cancellationToken).ConfigureAwait(false);
            }

            await client.Networks.DeleteNetworkAsync(id, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<string>> ListIdsByLabelAsync(string key, string value, CancellationToken cancellationToken)
    {
        var networks = await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = LabelFilter.For(key, value) }, cancellationToken).ConfigureAwait(false);
        return networks.Select(network => network.ID).ToList();
    }

    public async Task<IReadOnlyList<LabelledResource>> ListWithLabelAsync(string key, CancellationToken cancellationToken)
    {
        var networks = await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = LabelFilter.ForKey(key) }, cancellationToken).ConfigureAwait(false);
        return networks.Select(network => new LabelledResource(network.ID, LabelFilter.Copy(network.Labels))).ToList();
    }
}
