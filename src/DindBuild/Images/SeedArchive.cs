using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using DindBuild.Diagnostics;

namespace DindBuild.Images;

/// <summary>
/// A <c>--seed-archive</c> file: a <c>docker save</c> archive (<c>manifest.json</c>) or an OCI image layout
/// (<c>index.json</c>), plain or gzip-compressed, checked when the parameter is read so that a wrong file fails
/// before any daemon starts. <see cref="Images"/> are the names it says it brings (its RepoTags).
/// </summary>
public sealed record SeedArchive(string Path, bool Compressed, IReadOnlyList<string> Images)
{
    // manifest.json and index.json are a few KiB; a bigger one is not an image archive's.
    private const int MaxIndexBytes = 4 << 20;

    // The names an archive's own files claim are logged: a hostile archive must not flood the log.
    private const int MaxNames = 100;

    /// <summary>Opens the archive as <c>docker load</c> wants it: decompressed on the fly when it is a .tar.gz.</summary>
    public Stream Open()
    {
        var file = File.OpenRead(Path);
        return Compressed ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>Reads the archive's headers (never its layers into memory); throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static SeedArchive Load(string path)
    {
        if (Directory.Exists(path))
        {
            throw new FormatException($"{path} is a directory; give the file 'docker save IMAGE -o FILE' wrote (.tar or .tar.gz)");
        }

        if (!File.Exists(path))
        {
            throw new FormatException($"{path} does not exist; write it with 'docker save IMAGE -o {System.IO.Path.GetFileName(path)}' on a machine that has the image");
        }

        try
        {
            var compressed = IsGzip(path);
            var archive = new SeedArchive(path, compressed, []);
            using var stream = archive.Open();
            return archive with { Images = ReadNames(path, stream) };
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new FormatException($"{path} cannot be read: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new FormatException($"{path} cannot be read: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException)
        {
            throw new FormatException($"{path} is not an image archive ({ex.Message}); give a file 'docker save' wrote, or an OCI image layout as a tar", ex);
        }
    }

    private static bool IsGzip(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        return file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    private static List<string> ReadNames(string path, Stream stream)
    {
        using var reader = new TarReader(stream);
        List<string>? fromManifest = null;
        List<string>? fromIndex = null;
        var entries = 0;
        while (reader.GetNextEntry() is { } entry)
        {
            entries++;
            var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
            if (name is "manifest.json" or "index.json" && entry.DataStream is { } data)
            {
                using var document = JsonDocument.Parse(ReadSmall(data, name));
                if (name == "manifest.json")
                {
                    fromManifest = ManifestTags(document.RootElement);
                }
                else
                {
                    fromIndex = IndexNames(document.RootElement);
                }
            }
        }

        if (entries == 0)
        {
            throw new InvalidDataException("it holds no tar entries");
        }

        var names = fromManifest ?? fromIndex
            ?? throw new FormatException($"{path} holds neither manifest.json (docker save) nor index.json (OCI image layout); give a file 'docker save IMAGE -o FILE' wrote");
        return [.. names.Distinct(StringComparer.Ordinal).Take(MaxNames).Select(image => SafeText.Name(image))];
    }

    private static byte[] ReadSmall(Stream data, string name)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = data.Read(chunk)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxIndexBytes)
            {
                throw new InvalidDataException($"its {name} is over {MaxIndexBytes >> 20} MiB");
            }
        }

        return buffer.ToArray();
    }

    // docker save: [{"Config":…,"RepoTags":["name:tag"],"Layers":[…]}]
    private static List<string> ManifestTags(JsonElement root) =>
        root.ValueKind != JsonValueKind.Array
            ? throw new InvalidDataException("its manifest.json is not a list of images")
            : [.. root.EnumerateArray()
                .Where(image => image.ValueKind == JsonValueKind.Object && image.TryGetProperty("RepoTags", out var tags) && tags.ValueKind == JsonValueKind.Array)
                .SelectMany(image => image.GetProperty("RepoTags").EnumerateArray())
                .Where(tag => tag.ValueKind == JsonValueKind.String)
                .Select(tag => tag.GetString()!)];

    // OCI layout: {"manifests":[{"annotations":{"io.containerd.image.name":"docker.io/library/x:1","org.opencontainers.image.ref.name":"1"}}]}
    private static List<string> IndexNames(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("its index.json has no manifests list");
        }

        var names = new List<string>();
        foreach (var manifest in manifests.EnumerateArray())
        {
            if (manifest.ValueKind == JsonValueKind.Object && manifest.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Object)
            {
                foreach (var key in (string[])["io.containerd.image.name", "org.opencontainers.image.ref.name"])
                {
                    if (annotations.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        names.Add(value.GetString()!);
                        break;
                    }
                }
            }
        }

        return names;
    }
}
