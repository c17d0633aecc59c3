using System.Diagnostics;
using System.Security.Cryptography;
using DindBuild.Docker;

namespace DindBuild.ImageBuild.Session;

/// <summary>
/// A BuildKit client session for one build (what <c>docker build --secret</c> opens): a hijacked <c>POST /session</c>
/// connection on which this process serves the secrets provider over HTTP/2. Opened only when a build has secrets;
/// disposing it ends the session (the daemon then drops it).
/// </summary>
internal sealed class BuildSession : IAsyncDisposable
{
    private readonly Stream _connection;
    private readonly Http2SessionServer _server;
    private readonly SessionServices _services;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private BuildSession(string id, Stream connection, SessionServices services, TimeSpan openTime)
    {
        Id = id;
        _connection = connection;
        _services = services;
        OpenTime = openTime;
        _server = new Http2SessionServer(connection, services);
        _serving = Task.Run(() => _server.RunAsync(_stop.Token));
    }

    /// <summary>The session id the build passes as <c>session=</c>.</summary>
    public string Id { get; }

    /// <summary>How long connecting and the upgrade took (the session's cost before the build starts).</summary>
    public TimeSpan OpenTime { get; }

    /// <summary>The services' record: secret ids asked for and health checks made (never values).</summary>
    public SessionServices Services => _services;

    /// <summary>Why the session ended early through the daemon's fault, for a failed build's evidence; null otherwise.</summary>
    public string? Failure => _server.Failure;

    public static async Task<BuildSession> OpenAsync(DockerEndpoint endpoint, IReadOnlyList<BuildSecret> secrets, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var id = RandomNumberGenerator.GetHexString(25, lowercase: true);
        var connection = await DaemonConnection.OpenAsync(endpoint, cancellationToken).ConfigureAwait(false);
        try
        {
            // The shared key only scopes what the daemon caches for the session (BuildKit's local-source cache): a fresh one per session.
            await SessionUpgrade.UpgradeAsync(connection, id, RandomNumberGenerator.GetHexString(32, lowercase: true), SessionServices.Methods, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new BuildSession(id, connection, new SessionServices(secrets), started.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _serving.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Ending the connection under a pending read is how the session stops.
        }

        _stop.Dispose();
    }
}
