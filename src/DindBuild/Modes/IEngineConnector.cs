using DindBuild.Diagnostics;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.Modes;

/// <summary>What an engine is to the session: it decides whether a host layer may provision it.</summary>
public enum EngineRole
{
    /// <summary>The engine on the build host that dind starts its container on and dood builds on.</summary>
    HostEngine,

    /// <summary>A daemon someone else started (external mode).</summary>
    ExternalDaemon,
}

/// <summary>
/// How a session gets its engine clients. The core connects and checks the API version; a build
/// host may put provisioning in front (install and start a local engine when none answers).
/// </summary>
public interface IEngineConnector
{
    /// <summary><c>docker version</c> against <paramref name="endpoint"/>: a client once it answers with a supported API.</summary>
    Task<IDockerEngine> ConnectAsync(DockerEndpoint endpoint, EngineRole role, CancellationToken cancellationToken);

    /// <summary>A client for <paramref name="endpoint"/> without any check (for a daemon that is waited for, or a bulk channel).</summary>
    IDockerEngine Open(DockerEndpoint endpoint);
}

/// <summary>Docker.DotNet clients, version-checked; no provisioning.</summary>
public sealed class EngineConnector(ILogger log) : IEngineConnector
{
    public async Task<IDockerEngine> ConnectAsync(DockerEndpoint endpoint, EngineRole role, CancellationToken cancellationToken)
    {
        var engine = Open(endpoint);
        try
        {
            var version = await RequireSupportedAsync(engine, role == EngineRole.HostEngine ? "host engine" : "external engine", cancellationToken).ConfigureAwait(false);
            log.Information("The {Role} at {Endpoint}: {Version}", role == EngineRole.HostEngine ? "host engine" : "external engine", endpoint, version);
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    public IDockerEngine Open(DockerEndpoint endpoint) => DockerEngine.Connect(endpoint);

    /// <summary><c>docker version</c>: the engine's version, or a clear error when its API is older than DindBuild supports.</summary>
    public static async Task<EngineVersion> RequireSupportedAsync(IDockerEngine engine, string role, CancellationToken cancellationToken)
    {
        var version = await engine.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        if (!version.IsSupported)
        {
            throw new DindBuildException(
                FailureKind.Infrastructure,
                $"The {role} at {engine.Endpoint} speaks Engine API {version.ApiVersion}; DindBuild needs {EngineVersion.MinimumSupportedApi} or newer.",
                version.ToString(),
                "upgrade Docker to 20.10 or newer.");
        }

        return version;
    }
}
