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
