using System.Collections.Concurrent;
using System.Net.Sockets;
using DindBuild.IO;
using Serilog;

namespace DindBuild.SocketPolicy;

/// <summary>
/// The socket the test container gets instead of the daemon's: a unix socket in the session's
/// private directory, served in this process for the duration of RunTests. Each connection is
/// checked and rewritten by <see cref="RequestPolicy"/> on its way to the daemon's own socket.
/// </summary>
internal sealed class SocketPolicyProxy : IAsyncDisposable
{
    /// <summary>Enough for a test suite's parallel clients; beyond it a connection is closed at once (the tests are hostile input).</summary>
    private const int MaxConnections = 128;

    private readonly Socket _listener;
    private readonly string _listenPath;
    private readonly string _upstreamPath;
    private readonly RequestPolicy _policy;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private readonly Task _accepting;
    private int _disposed;

    private SocketPolicyProxy(Socket listener, string listenPath, string upstreamPath, RequestPolicy policy, ILogger log)
    {
        _listener = listener;
        _listenPath = listenPath;
        _upstreamPath = upstreamPath;
        _policy = policy;
        _log = log;
        Stats = new SocketPolicyStats(log);
        _accepting = AcceptAsync();
    }

    public SocketPolicyStats Stats { get; }

    public string ListenPath => _listenPath;

    /// <summary>
    /// Listens at <paramref name="listenPath"/> (its directory made 0700 when missing, and removed
    /// with the session at teardown; a socket left by an earlier run replaced) and forwards to <paramref name="upstreamPath"/>, labelling what the tests create with
    /// <paramref name="sessionId"/> and <paramref name="owner"/>; binds of the daemon's socket get
    /// <paramref name="policySocket"/>, the listening socket's path as the daemon sees it.
    /// </summary>
    public static SocketPolicyProxy Start(string listenPath, string upstreamPath, string sessionId, string owner, string policySocket, ILogger log)
    {
        var policy = new RequestPolicy(sessionId, owner, policySocket, new DaemonLookup(upstreamPath));
        var directory = Path.GetDirectoryName(listenPath)!;
        PrivateFiles.CreateDirectory(directory);
        // Bound under another name and renamed into place: .NET unlinks the name a socket was bound to
        // when it is disposed, and this one must stay (see DisposeAsync). The binding is the inode's,
        // so connections through the new name reach it.
        var binding = listenPath + ".binding";
        File.Delete(binding);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(binding));
            listener.Listen(512);

            // The directory (0700) is what keeps others out on this host. The socket itself is mounted
            // into the test container, whose root is a remapped uid with an inner user namespace: it
            // can connect only if the socket's own mode lets everyone write.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(binding, (UnixFileMode)0b110_110_110);
            }

            File.Move(binding, listenPath, overwrite: true);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        log.Debug("Socket policy proxy listening at {Listen}, forwarding to {Upstream}", listenPath, upstreamPath);
        return new SocketPolicyProxy(listener, listenPath, upstreamPath, policy, log);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        foreach (var socket in _connections.Keys)
        {
            socket.Dispose();
        }

        await Task.WhenAll([_accepting, .. _connections.Values]).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        _stop.Dispose();

        // The socket's file stays (nothing listens on it any more) until teardown removes the private
        // directory: the test container mounts it, and without it the daemon cannot mount that
        // container's filesystem for the artifacts' export ("no such file or directory").

        _log.Information(
            "The tests' Docker socket went through the socket policy: {Requests} requests, {Refused} refused (by rule: {ByRule:l}), {Malformed} malformed",
            Stats.Requests,
            Stats.RefusedCount,
            Stats.Summary,
            Stats.MalformedCount);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_connections.Count >= MaxConnections)
            {
                _log.Debug("The socket policy proxy has {Count} connections; closing a new one", _connections.Count);
                client.Dispose();
                continue;
            }

            // Registered before it runs, so that its removal at the end cannot come first.
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[client] = ServeAsync(client, registered.Task);
            registered.SetResult();
        }
    }

    private async Task ServeAsync(Socket client, Task registered)
    {
        await registered.ConfigureAwait(false);
        try
        {
            await new ProxyConnection(client, _upstreamPath, _policy, Stats).RunAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or HttpFramingException)
        {
            _log.Debug("A proxied connection ended: {Reason}", ex.Message);
        }
        catch (Exception ex)
        {
            // Never the build's failure: one bad connection ends, the others go on.
            _log.Warning(ex, "A proxied connection failed unexpectedly");
        }
        finally
        {
            _connections.TryRemove(client, out _);
            client.Dispose();
        }
    }
}
