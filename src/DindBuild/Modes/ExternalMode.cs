using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Images;
using DindBuild.Readiness;
using DindBuild.Reporting;
using DindBuild.Sessions;
using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>
/// <c>external</c>: a daemon someone else started (DOCKER_HOST, a docker context, GitLab's
/// <c>docker:dind</c> service). It is the session daemon and holds the session's resources, so
/// teardown removes exactly what the run created there and never touches a local engine; a local
/// engine, when one answers, is only a source of images to seed.
/// The daemon is the given endpoint for a continued session; null resolves it from the environment.
/// </summary>
internal sealed class ExternalMode(ModeContext context, DockerEndpoint? endpoint) : IDaemonMode
{
    private DockerEndpoint? _endpoint = endpoint;
    private IDockerEngine? _daemon;

    public DockerMode Kind => DockerMode.External;

    /// <summary>The external daemon may have no socket at the usual path (a remote engine): then the tests run without it.</summary>
    public TestDaemonSocket TestSocket => new(context.Options.MountDockerSocket ? SessionNames.DockerSocketPath : null, Required: false);

    public string SamplesNote => "external mode has no DinD container";

    public DockerEndpoint? KeptDaemonEndpoint => null;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _endpoint ??= await ResolveAsync(cancellationToken).ConfigureAwait(false);
        _daemon ??= await context.Engines.ConnectAsync(_endpoint, EngineRole.ExternalDaemon, cancellationToken).ConfigureAwait(false);
    }

    public async Task PrepareImagesAsync(IReadOnlyList<string> baseImages, CancellationToken cancellationToken) =>
        await ImageRecipes.EnsureAsync(context.Recipes, await DaemonAsync(cancellationToken).ConfigureAwait(false), baseImages, cancellationToken).ConfigureAwait(false);

    public SessionState Record(SessionState state)
    {
        var daemon = _endpoint ?? throw new InvalidOperationException("The external daemon is not resolved yet: StartDaemon connects first.");
        return state with
        {
            Mode = Kind,
            DockerHost = daemon.DockerHost,
            TlsCertificateDirectory = daemon.TlsCertificateDirectory,
            ResourceEngineHost = daemon.DockerHost,
            ResourceEngineTlsDirectory = daemon.TlsCertificateDirectory,
            Daemon = null,
        };
    }

    public Task StartAsync(string sessionId, string owner, CancellationToken cancellationToken) => ConnectAsync(cancellationToken);

    public async Task<IDockerEngine> DaemonAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return _daemon!;
    }

    /// <summary>From a local engine, when one answers and is not the session daemon itself; else the daemon must have or pull the images.</summary>
    public async Task SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var local = DockerEndpoint.DefaultUnixSocket;
        if (daemon.Endpoint == local || await EnginePing.TryAsync(local, cancellationToken).ConfigureAwait(false) is not null)
        {
            context.Log.Information("No local engine to seed {Images} from: the session daemon must have or pull them", string.Join(", ", images));
            return;
        }

        context.Log.Information("The Dockerfile needs {Images}", images.Count == 0 ? "no base images" : string.Join(", ", images));
        using var source = context.Engines.Open(local);
        await new ImageSeeder(source, daemon, context.Recipes, context.Log).SeedAsync(images, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> TeardownAsync(string sessionId, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        var daemon = _daemon ??= context.Engines.Open(_endpoint ?? throw new InvalidOperationException("No external daemon was resolved."));
        return await new SessionTeardown(daemon, context.Log).TeardownAsync(sessionId, socketDirectory: null).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> ReapAsync(TimeSpan? olderThan, CancellationToken cancellationToken) =>
        await new SessionReaper(await DaemonAsync(cancellationToken).ConfigureAwait(false), context.Log).ReapAsync(olderThan, cancellationToken).ConfigureAwait(false);

    public Task<DindBuildException?> ExplainFailureAsync(string step, Exception failure) => Task.FromResult<DindBuildException?>(null);

    public Task<string?> DaemonLogTailAsync() => Task.FromResult<string?>(null);

    public ResourceSampler? StartSampling() => null;

    public ValueTask DisposeAsync()
    {
        _daemon?.Dispose();
        _daemon = null;
        return ValueTask.CompletedTask;
    }

    private async Task<DockerEndpoint> ResolveAsync(CancellationToken cancellationToken)
    {
        var candidates = new List<EndpointCandidate>();
        var notConfigured = new List<string>();
        if (!string.IsNullOrEmpty(context.Environment("DOCKER_HOST")))
        {
            candidates.Add(new EndpointCandidate(DockerEndpoint.FromEnvironment(context.Environment), "DOCKER_HOST"));
        }
        else
        {
            notConfigured.Add("DOCKER_HOST: not set");
        }

        var contextEndpoint = DockerContextReader.CurrentContext(context.Environment, out var contextName, out var contextProblem);
        if (contextEndpoint is not null)
        {
            candidates.Add(new EndpointCandidate(contextEndpoint, $"docker context '{contextName}'"));
        }
        else
        {
            notConfigured.Add(contextProblem ?? "docker context: none selected (DOCKER_CONTEXT unset, no currentContext in config.json)");
        }

        return await new EndpointResolver(context.Log).ResolveAsync(
            candidates,
            notConfigured,
            context.Options.DaemonStartTimeout,
            "set DOCKER_HOST (with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH for TLS) or select a docker context, and make sure that daemon runs; with GitLab's docker:dind service that is DOCKER_HOST=tcp://docker:2376.",
            cancellationToken).ConfigureAwait(false);
    }
}
