using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace DindBuild.Docker;

internal sealed class DockerDotNetVolumes(DockerClient client) : IDockerVolumes
{
    public Task CreateAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        client.Volumes.CreateAsync(new VolumesCreateParameters { Name = name, Labels = labels.ToDictionary() }, cancellationToken);

    public async Task RemoveAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await client.Volumes.RemoveAsync(name, force: true, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone is what removal wants.
        }
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await client.Volumes.InspectAsync(name, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<string>> ListNamesByLabelAsync(string key, string value, CancellationToken cancellationToken)
    {
        var response = await client.Volumes.ListAsync(new VolumesListParameters { Filters = LabelFilter.For(key, value) }, cancellationToken).ConfigureAwait(false);
        return response.Volumes?.Select(volume => volume.Name).ToList() ?? [];
    }

    public async Task<IReadOnlyList<LabelledResource>> ListWithLabelAsync(string key, CancellationToken cancellationToken)
    {
        var response = await client.Volumes.ListAsync(new VolumesListParameters { Filters = LabelFilter.ForKey(key) }, cancellationToken).ConfigureAwait(false);
        return response.Volumes?.Select(volume => new LabelledResource(volume.Name, LabelFilter.Copy(volume.Labels))).ToList() ?? [];
    }
}
