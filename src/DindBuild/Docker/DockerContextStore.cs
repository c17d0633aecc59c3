using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DindBuild.IO;

namespace DindBuild.Docker;

/// <summary>
/// The docker CLI's context store, as the CLI lays it out: <c>$DOCKER_CONFIG/contexts/meta/SHA256(NAME)/meta.json</c>
/// for the endpoint and <c>contexts/tls/SHA256(NAME)/docker/{ca,cert,key}.pem</c> for TLS material.
/// Written directly, so a context exists even where the docker CLI is not installed on the build host.
/// </summary>
internal sealed class DockerContextStore(string configDirectory)
{
    public string ConfigDirectory { get; } = configDirectory;

    /// <summary>The store of <c>DOCKER_CONFIG</c>, else <c>~/.docker</c>, as the CLI picks it.</summary>
    public static DockerContextStore FromEnvironment(Func<string, string?> environment) =>
        new(environment("DOCKER_CONFIG") is { Length: > 0 } config
            ? config
            : Path.Combine(environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker"));

    public string MetaFileOf(string name) => Path.Combine(ConfigDirectory, "contexts", "meta", Hash(name), "meta.json");

    public string TlsDirectoryOf(string name) => Path.Combine(ConfigDirectory, "contexts", "tls", Hash(name), "docker");

    public bool Exists(string name) => File.Exists(MetaFileOf(name));

    /// <summary><c>docker context create NAME --description … --docker host=…,ca=…,cert=…,key=…</c>; replaces a context of that name.</summary>
    public void Save(string name, DockerEndpoint endpoint, string description)
    {
        Remove(name);
        var meta = MetaFileOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(meta)!);
        var document = new JsonObject
        {
            ["Name"] = name,
            ["Metadata"] = new JsonObject { ["Description"] = description },
            ["Endpoints"] = new JsonObject
            {
                ["docker"] = new JsonObject { ["Host"] = endpoint.DockerHost, ["SkipTLSVerify"] = false },
            },
        };
        File.WriteAllText(meta, document.ToJsonString());
        if (endpoint.TlsCertificateDirectory is { } source)
        {
            var tls = TlsDirectoryOf(name);
            PrivateFiles.CreateDirectory(Path.GetDirectoryName(tls)!);
            PrivateFiles.CreateDirectory(tls);
            foreach (var file in new[] { "ca.pem", "cert.pem", "key.pem" })
            {
                PrivateFiles.WriteAllText(Path.Combine(tls, file), File.ReadAllText(Path.Combine(source, file)));
            }
        }
    }

    /// <summary><c>docker context rm --force NAME</c>; a context that does not exist is not an error.</summary>
    public bool Remove(string name)
    {
        var existed = Exists(name);
        foreach (var directory in new[] { Path.GetDirectoryName(MetaFileOf(name))!, Path.GetDirectoryName(TlsDirectoryOf(name))! })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        return existed;
    }

    /// <summary>The endpoint a context names, with its TLS directory when it has client material; null when it has no docker endpoint.</summary>
    /// <exception cref="JsonException">meta.json is not what the CLI writes.</exception>
    public DockerEndpoint? Read(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(MetaFileOf(name)));
        var host = document.RootElement.GetProperty("Endpoints").GetProperty("docker").GetProperty("Host").GetString();
        if (string.IsNullOrEmpty(host))
        {
            return null;
        }

        var tls = TlsDirectoryOf(name);
        return new DockerEndpoint(new Uri(host), File.Exists(Path.Combine(tls, "cert.pem")) ? tls : null);
    }

    /// <summary>config.json's currentContext (<c>docker context use NAME</c>), or null.</summary>
    public string? CurrentContextName()
    {
        var configPath = Path.Combine(ConfigDirectory, "config.json");
        if (!File.Exists(configPath))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(configPath));
            return document.RootElement.TryGetProperty("currentContext", out var current) ? current.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Hash(string name) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
}
