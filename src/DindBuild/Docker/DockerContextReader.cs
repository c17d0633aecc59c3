using System.Text.Json;

namespace DindBuild.Docker;

/// <summary>
/// The endpoint of the docker CLI's current context (<c>docker context use NAME</c>): the name from
/// <c>DOCKER_CONTEXT</c> or config.json's currentContext, the endpoint from the context store.
/// </summary>
internal static class DockerContextReader
{
    /// <summary>Null when no context other than "default" is selected, or it cannot be read (then <paramref name="problem"/> says why).</summary>
    public static DockerEndpoint? CurrentContext(Func<string, string?> environment, out string? contextName, out string? problem)
    {
        problem = null;
        var store = DockerContextStore.FromEnvironment(environment);
        contextName = environment("DOCKER_CONTEXT") ?? store.CurrentContextName();
        if (string.IsNullOrEmpty(contextName) || contextName == "default")
        {
            return null;
        }

        var meta = store.MetaFileOf(contextName);
        if (!File.Exists(meta))
        {
            problem = $"context '{contextName}' has no {meta}";
            return null;
        }

        try
        {
            var endpoint = store.Read(contextName);
            if (endpoint is null)
            {
                problem = $"context '{contextName}' names no docker endpoint";
            }

            return endpoint;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or UriFormatException or InvalidOperationException)
        {
            problem = $"context '{contextName}' could not be read from {meta}: {ex.Message}";
            return null;
        }
    }
}
