using DindBuild.Docker;
using DindBuild.Modes;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// The engines a session may reach, by DOCKER_HOST, each a <see cref="FakeEngine"/> writing to one
/// shared journal; an endpoint without an engine fails to connect, as a socket nobody listens on does.
/// </summary>
internal sealed class FakeEngines : IEngineConnector
{
    private readonly Dictionary<string, FakeEngine> _engines = [];
    private readonly List<EngineCall> _journal = [];

    public FakeEngine this[string dockerHost] => _engines[dockerHost];

    /// <summary>Every call to every engine, in order; connections appear as <c>connect</c> and <c>open</c>.</summary>
    public IReadOnlyList<EngineCall> Calls
    {
        get
        {
            lock (_journal)
            {
                return [.. _journal];
            }
        }
    }

    public FakeEngine Add(string dockerHost) => Add(new DockerEndpoint(new Uri(dockerHost)));

    public FakeEngine Add(DockerEndpoint endpoint)
    {
        var engine = new FakeEngine(endpoint, _journal);
        _engines.Add(endpoint.DockerHost, engine);
        return engine;
    }

    public async Task<IDockerEngine> ConnectAsync(DockerEndpoint endpoint, EngineRole role, CancellationToken cancellationToken)
    {
        var engine = Find(endpoint, "connect");
        await EngineConnector.RequireSupportedAsync(engine, role.ToString(), cancellationToken);
        return engine;
    }

    public IDockerEngine Open(DockerEndpoint endpoint) => Find(endpoint, "open");

    private FakeEngine Find(DockerEndpoint endpoint, string how)
    {
        lock (_journal)
        {
            _journal.Add(new EngineCall(endpoint.DockerHost, how, ""));
        }

        return _engines.GetValueOrDefault(endpoint.DockerHost)
            ?? throw new IOException($"Connection refused: no engine at {endpoint.DockerHost}");
    }
}
