using System.Formats.Tar;
using DindBuild.Docker;

namespace DindBuild.Tests.Infrastructure;

/// <summary>The fake engine's images: inspect, build (with scripted progress messages), remove.</summary>
internal sealed partial class FakeEngine
{
    public void AddImage(string name, IReadOnlyDictionary<string, string>? labels = null) =>
        _images[name] = new ImageSummary("sha256:" + NewId(), [name], 1024, labels ?? new Dictionary<string, string>());

    /// <summary>An image with a given ID: the same image on two engines, as a load leaves it.</summary>
    public void AddImageWithId(string name, string id) => _images[name] = new ImageSummary(id, [name], 1024, new Dictionary<string, string>());

    /// <summary>The ID of the image of this name; null when there is none.</summary>
    public string? ImageId(string name) => _images.GetValueOrDefault(name)?.Id;

    /// <summary>What the next builds report (default: one classic <c>Step 1/1</c> line); an error among them fails the build.</summary>
    public IReadOnlyList<ProgressMessage>? BuildMessages { get; set; }

    /// <summary>The spec of the last build.</summary>
    public ImageBuildSpec? LastBuild { get; private set; }

    /// <summary>Whether an image with this id (or name) is on the engine.</summary>
    public bool HasImage(string idOrName) => _images.ContainsKey(idOrName) || _images.Values.Any(image => image.Id == idOrName);

    async Task<ImageSummary?> IDockerImages.InspectAsync(string name, CancellationToken cancellationToken)
    {
        await Call("image.inspect", name);
        return _images.GetValueOrDefault(name);
    }

    async Task IDockerImages.BuildAsync(ImageBuildSpec spec, Stream context, Action<ProgressMessage> onMessage, CancellationToken cancellationToken)
    {
        await Call("image.build", spec.Tag);
        LastBuild = spec;
        await context.CopyToAsync(Stream.Null, cancellationToken);
        var messages = BuildMessages ?? [new ProgressMessage("Step 1/1 : FROM scratch", null)];
        foreach (var message in messages)
        {
            onMessage(message);
        }

        if (messages.All(message => message.Error is null))
        {
            // The tag moves to the new image; an image it named before stays, untagged, as on a real daemon.
            foreach (var (name, image) in _images.Where(pair => pair.Key == spec.Tag).ToList())
            {
                _images[image.Id] = image with { Tags = [] };
            }

            var id = "sha256:" + NewId();
            _images[spec.Tag] = new ImageSummary(id, [spec.Tag], 1024, spec.Labels);
        }
    }

    async Task<bool> IDockerImages.RemoveAsync(string id, CancellationToken cancellationToken)
    {
        await Call("image.remove", id);
        var removed = false;
        foreach (var name in _images.Where(pair => pair.Value.Id == id && pair.Value.Tags.Count == 0).Select(pair => pair.Key).ToList())
        {
            removed |= _images.Remove(name);
        }

        return removed;
    }

    /// <summary>The images <c>docker pull</c> finds in a registry; any other pull fails as an offline one does.</summary>
    public HashSet<string> Pullable { get; } = [];

    async Task IDockerImages.TagAsync(string source, string target, CancellationToken cancellationToken)
    {
        await Call("image.tag", target);
        var image = _images.GetValueOrDefault(source) ?? throw new DockerOperationException($"docker tag {source} {target}", $"No such image: {source}");
        _images[target] = image with { Tags = [.. image.Tags, target] };
    }

    /// <summary>Pushes are not simulated: the real registry in Integration/ is their test.</summary>
    Task<string?> IDockerImages.PushAsync(string name, Settings.RegistryCredential? credential, Action<PushStatus> onStatus, CancellationToken cancellationToken) => throw new NotSupportedException();

    async Task IDockerImages.PullAsync(string name, CancellationToken cancellationToken)
    {
        await Call("image.pull", name);
        if (!Pullable.Contains(name))
        {
            throw new DockerOperationException($"docker pull {name}", "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host");
        }

        AddImage(name);
    }

    /// <summary>A <c>docker save</c> archive of the one image: its manifest.json names it.</summary>
    async Task<Stream> IDockerImages.SaveAsync(string name, CancellationToken cancellationToken)
    {
        await Call("image.save", name);
        return _images.ContainsKey(name) ? SavedArchive(name) : throw new DockerOperationException($"docker save {name}", $"reference does not exist: {name}");
    }

    /// <summary>Loads the images a <c>docker save</c> archive's manifest.json names (its RepoTags).</summary>
    async Task IDockerImages.LoadAsync(Stream imageTar, CancellationToken cancellationToken)
    {
        await Call("image.load", "");
        using var reader = new TarReader(imageTar);
        while (await reader.GetNextEntryAsync(cancellationToken: cancellationToken) is { } entry)
        {
            if (entry.Name == "manifest.json" && entry.DataStream is { } data)
            {
                using var manifest = await System.Text.Json.JsonDocument.ParseAsync(data, cancellationToken: cancellationToken);
                foreach (var tag in manifest.RootElement.EnumerateArray().SelectMany(image => image.GetProperty("RepoTags").EnumerateArray()))
                {
                    AddImage(tag.GetString()!);
                }
            }
        }
    }

    /// <summary>What <c>docker save</c> writes, reduced to what DindBuild reads: manifest.json with the RepoTags, and a layer.</summary>
    public static MemoryStream SavedArchive(params string[] names)
    {
        var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "blobs/sha256/0000") { DataStream = new MemoryStream(new byte[4096]) });
            var manifest = System.Text.Json.JsonSerializer.Serialize(new[] { new { Config = "blobs/sha256/0000", RepoTags = names, Layers = Array.Empty<string>() } });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest)) });
        }

        archive.Position = 0;
        return archive;
    }

    async Task IDockerImages.ImportAsync(Stream rootfsTar, string name, IReadOnlyList<string> changes, CancellationToken cancellationToken)
    {
        await Call("image.import", name);
        await rootfsTar.CopyToAsync(Stream.Null, cancellationToken);
        Imported.Add(name);
        AddImage(name);
    }
}
