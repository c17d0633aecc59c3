using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// A tiny HTTP/1.1 server on a unix socket standing in for a Docker daemon behind the policy proxy.
/// Its parsing is its own (not the proxy's), and it records every request exactly as it arrived, so
/// tests see what reached "the daemon". Its answers by path:
/// <c>…/attach</c> and <c>…/start</c> of an exec with <c>Upgrade</c>: 101, then it echoes upper-cased;
/// <c>/raw</c>: 200 with no length (a hijacked raw stream), then the same echo;
/// <c>/events</c>: three chunks; <c>GET /volumes/NAME</c>: 200 for <see cref="ExistingVolumes"/>, else 404;
/// anything else: 200 (201 for <c>…/create</c>) with a small JSON body; HTTP/1.0: the same, then close.
/// The policy's own questions (its User-Agent) are answered from <see cref="Objects"/> and kept apart,
/// in <see cref="Lookups"/>, so that <see cref="Requests"/> and <see cref="Connections"/> are the tests' alone.
/// </summary>
internal sealed class FakeDaemon : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("dindbuild-fake-daemon");
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private int _connections;

    public FakeDaemon()
    {
        SocketPath = _directory.Combine("daemon.sock");
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(16);
        _tasks.Add(AcceptAsync());
    }

    public string SocketPath { get; }

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public HashSet<string> ExistingVolumes { get; } = [];

    /// <summary>What the policy's lookups see; the session is the proxy tests' own.</summary>
    public FakeDaemonObjects Objects { get; } = new("proxy0session");

    public ConcurrentQueue<ReceivedRequest> Lookups { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    public string Directory => _directory.Path;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _directory.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_tasks)
            {
                _tasks.Add(Task.Run(() => ServeAsync(client)));
            }
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        var pending = new List<byte>();
        var counted = false;
        try
        {
            while (await ReadRequestAsync(stream, pending) is { } request)
            {
                if (request.Header("User-Agent") == DindBuild.SocketPolicy.DaemonLookup.UserAgent)
                {
                    Lookups.Enqueue(request);
                    await LookupAsync(stream, request);
                    return;
                }

                if (!counted)
                {
                    counted = true;
                    Interlocked.Increment(ref _connections);
                }

                Requests.Enqueue(request);
                if (!await RespondAsync(stream, pending, request))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task<bool> RespondAsync(NetworkStream stream, List<byte> pending, ReceivedRequest request)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(request.Target.Split('?')[0], "^/v[0-9.]+/", "/");
        var upgrade = request.Header("Upgrade") is not null;
        if ((path.EndsWith("/attach", StringComparison.Ordinal) || path.EndsWith("/start", StringComparison.Ordinal) && path.Contains("/exec/", StringComparison.Ordinal)) && upgrade)
        {
            await WriteAsync(stream, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
            await EchoAsync(stream, pending);
            return false;
        }

        if (path == "/raw")
        {
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n");
            await EchoAsync(stream, pending);
            return false;
        }

        if (path == "/events")
        {
            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
            foreach (var e in new[] { "{\"status\":\"create\"}\n", "{\"status\":\"start\"}\n", "{\"status\":\"die\"}\n" })
            {
                await WriteAsync(stream, $"{Encoding.UTF8.GetByteCount(e):x}\r\n{e}\r\n");
            }

            await WriteAsync(stream, "0\r\n\r\n");
            return true;
        }

        var status = path.StartsWith("/volumes/", StringComparison.Ordinal) && request.Method == "GET"
            ? ExistingVolumes.Contains(Uri.UnescapeDataString(path["/volumes/".Length..])) ? "200 OK" : "404 Not Found"
            : path.EndsWith("/create", StringComparison.Ordinal) ? "201 Created" : "200 OK";
        var body = $"{{\"seen\":\"{request.Method} {path}\"}}";
        var http10 = request.Version == "HTTP/1.0";
        await WriteAsync(stream, $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nApi-Version: 1.45\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{(http10 ? "Connection: close\r\n" : "")}\r\n{body}");
        return !http10;
    }

    private async Task LookupAsync(NetworkStream stream, ReceivedRequest request)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(request.Target.Split('?')[0], "^/v[0-9.]+/", "/");
        foreach (var volume in ExistingVolumes.Where(volume => !Objects.Has("volumes", volume)))
        {
            Objects.Add("volumes", volume, ours: false);
        }

        var answer = await Objects.SendAsync(request.Method, path, request.Body.Length > 0 ? request.BodyText : null, CancellationToken.None);
        await WriteAsync(stream, $"HTTP/1.1 {answer.Status} X\r\nContent-Type: application/json\r\nContent-Length: {answer.Body.Length}\r\nConnection: close\r\n\r\n{answer.Text}");
    }

    /// <summary>What a hijacked stream does here: every byte back, upper-cased, until the client half-closes.</summary>
    private static async Task EchoAsync(NetworkStream stream, List<byte> pending)
    {
        if (pending.Count > 0)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString([.. pending]).ToUpperInvariant()));
        }

        var buffer = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(buffer, 0, read).ToUpperInvariant()));
        }

        stream.Socket.Shutdown(SocketShutdown.Send);
    }

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    private static async Task<ReceivedRequest?> ReadRequestAsync(NetworkStream stream, List<byte> pending)
    {
        var head = await ReadUntilAsync(stream, pending, "\r\n\r\n"u8.ToArray());
        if (head is null)
        {
            return null;
        }

        var lines = Encoding.Latin1.GetString(head).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var start = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(line => line.Split(':', 2)).Select(pair => (pair[0].Trim(), pair[1].Trim())).ToList();
        var request = new ReceivedRequest(start[0], start[1], start[2], headers, []);
        if (request.Header("Transfer-Encoding") is "chunked")
        {
            var body = new List<byte>();
            while (true)
            {
                var size = Convert.ToInt32(Encoding.ASCII.GetString((await ReadUntilAsync(stream, pending, "\r\n"u8.ToArray()))!).Split(';')[0].Trim(), 16);
                var chunk = await ReadExactlyAsync(stream, pending, size + 2);
                body.AddRange(chunk[..size]);
                if (size == 0)
                {
                    return request with { Body = [.. body] };
                }
            }
        }

        var length = int.Parse(request.Header("Content-Length") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        return request with { Body = await ReadExactlyAsync(stream, pending, length) };
    }

    private static async Task<byte[]?> ReadUntilAsync(NetworkStream stream, List<byte> pending, byte[] end)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var at = IndexOf(pending, end);
            if (at >= 0)
            {
                var taken = pending.GetRange(0, at + end.Length).ToArray();
                pending.RemoveRange(0, at + end.Length);
                return taken;
            }

            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return null;
            }

            pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, List<byte> pending, int count)
    {
        var buffer = new byte[4096];
        while (pending.Count < count)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                throw new IOException("the client closed inside a body");
            }

            pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var taken = pending.GetRange(0, count).ToArray();
        pending.RemoveRange(0, count);
        return taken;
    }

    private static int IndexOf(List<byte> data, byte[] pattern) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(data).IndexOf(pattern);
}

/// <summary>A request as it reached the fake daemon.</summary>
internal sealed record ReceivedRequest(string Method, string Target, string Version, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

    public string BodyText => Encoding.UTF8.GetString(Body);
}
