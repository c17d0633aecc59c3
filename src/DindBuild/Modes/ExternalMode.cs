using DindBuild.Docker;
using DindBuild.Images;
using DindBuild.Readiness;
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
internal sealed class ExternalMode(ModeContext context, DockerEndpoint? endpoint, SharedSession? saved) : SharedDaemonMode(context, saved)
{
    private DockerEndpoint? _endpoint = endpoint;

    public override DockerMode Kind => DockerMode.External;

    /// <summary>
    /// Permissive: the daemon's usual socket on its own host, which a remote engine may not have (then
    /// the tests run without it). Strict: the proxy, when the daemon is a unix socket here; a daemon
    /// over TCP is another machine or container, where a socket of this process cannot be mounted.
    /// </summary>
    public override TestDaemonSocket TestSocket(string sessionId) => TestSockets.Choose(
        Context.Options,
        permissive: () => TestSockets.Raw(SessionNames.DockerSocketPath, required: false, "whatever the tests run is root on the daemon's host"),
        strict: () => _endpoint?.UnixSocketPath is { } path
            ? ProxiedOnThisMachine(sessionId, path)
            : TestSockets.Withheld($"external mode: the socket policy proxy runs in this build process, and the daemon at {_endpoint?.DockerHost ?? "DOCKER_HOST"} cannot mount a socket of this machine into the test container"));

    protected override DockerEndpoint? Endpoint => _endpoint;

    protected override Task OpenAsync(CancellationToken cancellationToken) => ConnectAsync(cancellationToken);

    /// <summary>From a local engine, when one answers and is not the session daemon itself; else the daemon must have or pull the images.</summary>
    public override async Task<IReadOnlyList<Images.MissingImage>> SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var local = DockerEndpoint.DefaultUnixSocket;
        if (daemon.Endpoint == local || await EnginePing.TryAsync(local, cancellationToken).ConfigureAwait(false) is not null)
        {
            Context.Log.Information("No local engine to seed {Images} from: the session daemon must have or pull them", string.Join(", ", images));
            return await AbsentAsync(daemon, images, $"not on the external daemon at {daemon.Endpoint.DockerHost}; no local engine at {local.DockerHost} to copy it from", cancellationToken).ConfigureAwait(false);
        }

        Context.Log.Information("The run needs {Images}", images.Count == 0 ? "no images" : string.Join(", ", images));
        using var source = Context.Engines.Open(local);
        return await new ImageSeeder(source, daemon, Context.Recipes, Context.Log) { ContextDirectory = Context.Options.ContextDirectory }.SeedAsync(images, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Into the local engine, when one answers and is not the session daemon itself.</summary>
    public override async Task LoadIntoHostAsync(string image, CancellationToken cancellationToken)
    {
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var local = DockerEndpoint.DefaultUnixSocket;
        if (daemon.Endpoint == local)
        {
            Context.Log.Information("external mode: the session daemon is this machine's engine; {Image} is there already", image);
            return;
        }

        if (await EnginePing.TryAsync(local, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            throw new Diagnostics.DindBuildException(
                Diagnostics.FailureKind.BadParameters,
                $"--load-into-host: there is no local engine to load {image} into",
                $"{local}: {problem}",
                "in external mode the image is on the daemon at DOCKER_HOST already; drop --load-into-host, or use --save-image or --publish");
        }

        using var host = Context.Engines.Open(local);
        await new ImageSeeder(daemon, host, recipes: null, Context.Log).CopyAsync(image, ("Loading into the host engine", "Loaded into the host engine"), cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<IDockerEngine> ConnectDaemonAsync(CancellationToken cancellationToken)
    {
        _endpoint ??= await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return await Context.Engines.ConnectAsync(_endpoint, EngineRole.ExternalDaemon, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DockerEndpoint> ResolveAsync(CancellationToken cancellationToken)
    {
        var candidates = new List<EndpointCandidate>();
        var notConfigured = new List<string>();
        if (!string.IsNullOrEmpty(Context.Environment("DOCKER_HOST")))
        {
            candidates.Add(new EndpointCandidate(DockerEndpoint.FromEnvironment(Context.Environment), "DOCKER_HOST"));
        }
        else
        {
            notConfigured.Add("DOCKER_HOST: not set");
        }

        var contextEndpoint = DockerContextReader.CurrentContext(Context.Environment, out var contextName, out var contextProblem);
        if (contextEndpoint is not null)
        {
            candidates.Add(new EndpointCandidate(contextEndpoint, $"docker context '{contextName}'"));
        }
        else
        {
            notConfigured.Add(contextProblem ?? "docker context: none selected (DOCKER_CONTEXT unset, no currentContext in config.json)");
        }

        return await new EndpointResolver(Context.Log).ResolveAsync(
            candidates,
            notConfigured,
            Context.Options.DaemonStartTimeout,
            "set DOCKER_HOST (with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH for TLS) or select a docker context, and make sure that daemon runs; with GitLab's docker:dind service that is DOCKER_HOST=tcp://docker:2376.",
            cancellationToken).ConfigureAwait(false);
    }
}
