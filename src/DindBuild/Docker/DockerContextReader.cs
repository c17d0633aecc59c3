using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DindBuild.Docker;

/// <summary>
/// The endpoint of the docker CLI's current context (<c>docker context use NAME</c>): the name from
/// <c>DOCKER_CONTEXT</c> or config.json's currentContext, the endpoint from the context's meta.json,
/// TLS material from its tls directory — as the CLI stores them.
/// </summary>
public static class DockerContextReader
{
    /// <summary>Null when no context other than "default" is selected, or it cannot be read (then <paramref name="problem"/> says why).</summary>
    public static DockerEndpoint? CurrentContext(Func<string, string?> environment, out string? contextName, out string? problem)
    {
        problem = null;
        var configDirectory = environment("DOCKER_CONFIG") ?? Path.Combine(environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        contextName = environment("DOCKER_CONTEXT") ?? ReadCurrentContext(Path.Combine(configDirectory, "config.json"));
        if (string.IsNullOrEmpty(contextName) || contextName == "default")
        {
            return null;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(contextName)));
        var meta = Path.Combine(configDirectory, "contexts", "meta", hash, "meta.json");
        if (!File.Exists(meta))
        {
            problem = $"context '{contextName}' has no {meta}";
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(meta));
            var host = document.RootElement.GetProperty("Endpoints").GetProperty("docker").GetProperty("Host").GetString();
            if (string.IsNullOrEmpty(host))
            {
                problem = $"context '{contextName}' names no docker endpoint";
                return null;
            }

            var tls = Path.Combine(configDirectory, "contexts", "tls", hash, "docker");
            return new DockerEndpoint(new Uri(host), File.Exists(Path.Combine(tls, "cert.pem")) ? tls : null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or UriFormatException or InvalidOperationException)
        {
            problem = $"context '{contextName}' could not be read from {meta}: {ex.Message}";
            return null;
        }
    }

    private static string? ReadCurrentContext(string configPath)
    {
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
}
