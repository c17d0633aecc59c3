using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace DindBuild.SocketPolicy;

/// <summary>
/// One connection from the tests, proxied to the daemon request by request: each request head is
/// read and checked, its body forwarded by its framing (read whole and rewritten for the inspected
/// endpoints, streamed byte for byte otherwise), then the response; the next request is read only
/// once that response is complete, so none can slip past inspection on a kept-alive connection.
/// After a 101 (attach, exec, BuildKit's session) or a response that lasts until the connection
/// closes (a hijacked raw stream), the daemon reads no more requests on it, and it becomes a blind pipe.
/// </summary>
internal sealed class ProxyConnection(Socket client, string upstreamPath, RequestPolicy policy, SocketPolicyStats stats)
{
    private const int HeadLimit = 64 * 1024;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var clientStream = new NetworkStream(client, ownsSocket: true);
        var fromClient = new ConnectionReader(clientStream);
        Upstream? upstream = null;
        try
        {
            while (true)
            {
                HttpHead request;
                BodyFraming framing;
                ApiRoute route;
                try
                {
                    var raw = await fromClient.ReadHeadAsync(HeadLimit, cancellationToken).ConfigureAwait(false);
                    if (raw is null)
                    {
                        return;
                    }

                    request = HttpHead.ParseRequest(raw);
                    framing = request.RequestFraming();
                    route = ApiRoute.Classify(request.First, request.Second);
                }
                catch (HttpFramingException ex)
                {
                    stats.Malformed(ex.Message);
                    await RespondAsync(clientStream, 400, $"{RequestPolicy.Prefix}a malformed request: {ex.Message}", close: true, cancellationToken).ConfigureAwait(false);
                    await UnreadInput.LingerAsync(client, fromClient, cancellationToken).ConfigureAwait(false);
                    return;
                }

                stats.Request();
                var keepAlive = request.KeepsAlive(request.Third);
                var head = request.Raw;
                byte[]? body = null;
                var bodyRead = false;
                try
                {
                    var target = await policy.CheckHeadAsync(route, request, cancellationToken).ConfigureAwait(false);
                    if (RequestPolicy.ReadsBody(route, framing))
                    {
                        if (request.HasToken("Expect", "100-continue"))
                        {
                            await clientStream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                        }

                        var read = await MessageBodies.ReadAsync(fromClient, framing, RequestPolicy.BodyLimit, cancellationToken).ConfigureAwait(false);
                        if (read is null)
                        {
                            // The rest of the body is still on the connection: it can only be closed.
                            keepAlive = false;
                            throw new PolicyRefusedException($"a {request.First} {HttpHead.Printable(route.Path)} body larger than {RequestPolicy.BodyLimit >> 20} MiB is not inspected", "body size");
                        }

                        bodyRead = true;

                        body = await policy.InspectAsync(route, read, cancellationToken).ConfigureAwait(false);
                    }

                    if (target is not null || body is not null)
                    {
                        head = request.Rebuilt(target, body?.Length);
                    }
                }
                catch (Exception ex) when (ex is PolicyRefusedException or PolicyAnswerException)
                {
                    // An unread body would be taken for the next request: a small one of known length is
                    // skipped after the answer so the connection goes on; any other ends the connection.
                    var unread = framing.Kind != BodyFramingKind.None && !bodyRead;
                    var skip = unread && keepAlive && framing.Kind == BodyFramingKind.Length && framing.Length <= RequestPolicy.BodyLimit
                        && !request.HasToken("Expect", "100-continue");
                    var close = !keepAlive || (unread && !skip);
                    if (ex is PolicyRefusedException refusal)
                    {
                        stats.Refused($"{request.First} {route.Path}", refusal);
                        await RespondAsync(clientStream, 403, RequestPolicy.Message(refusal.Message), close, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await RespondAsync(clientStream, ((PolicyAnswerException)ex).Answer, request.First, close, cancellationToken).ConfigureAwait(false);
                    }

                    if (skip && !await UnreadInput.SkipAsync(fromClient, framing.Length, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    if (close)
                    {
                        if (unread)
                        {
                            await UnreadInput.LingerAsync(client, fromClient, cancellationToken).ConfigureAwait(false);
                        }

                        return;
                    }

                    continue;
                }
                catch (HttpFramingException ex)
                {
                    stats.Malformed(ex.Message);
                    await RespondAsync(clientStream, 400, $"{RequestPolicy.Prefix}a malformed request body: {ex.Message}", close: true, cancellationToken).ConfigureAwait(false);
                    await UnreadInput.LingerAsync(client, fromClient, cancellationToken).ConfigureAwait(false);
                    return;
                }

                try
                {
                    if (upstream is { IsClosed: true })
                    {
                        // The daemon closed the idle connection; this request goes on a new one.
                        upstream.Dispose();
                        upstream = null;
                    }

                    upstream ??= await Upstream.ConnectAsync(upstreamPath, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    await RespondAsync(clientStream, 502, $"{RequestPolicy.Prefix}the session daemon does not answer at {upstreamPath}: {ex.Message}", close: true, cancellationToken).ConfigureAwait(false);
                    if (framing.Kind != BodyFramingKind.None && body is null)
                    {
                        await UnreadInput.LingerAsync(client, fromClient, cancellationToken).ConfigureAwait(false);
                    }

                    return;
                }

                if (!await ExchangeAsync(request.First, head, body, framing, fromClient, clientStream, upstream, cancellationToken).ConfigureAwait(false) || !keepAlive)
                {
                    return;
                }
            }
        }
        finally
        {
            upstream?.Dispose();
        }
    }

    /// <summary>Forwards one request and its response; false when the connection is done (closed, or piped blind until both sides ended).</summary>
    private static async Task<bool> ExchangeAsync(string method, byte[] head, byte[]? body, BodyFraming framing, ConnectionReader fromClient, NetworkStream clientStream, Upstream upstream, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await upstream.Stream.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        if (body is not null)
        {
            await upstream.Stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }

        // Streamed while the response is read: the daemon may answer (100 Continue, an early error) before the body is complete.
        var pump = body is null ? PumpAsync(fromClient, framing, upstream.Stream, failed) : Task.CompletedTask;
        try
        {
            while (true)
            {
                var raw = await upstream.Reader.ReadHeadAsync(HeadLimit, failed.Token).ConfigureAwait(false);
                if (raw is null)
                {
                    return false;
                }

                var response = HttpHead.ParseResponse(raw);
                await clientStream.WriteAsync(raw, failed.Token).ConfigureAwait(false);
                var responseFraming = response.ResponseFraming(method);
                if (response.Status == 101 || responseFraming.Kind == BodyFramingKind.UntilClose)
                {
                    await pump.ConfigureAwait(false);
                    await BlindPipe.RunAsync(fromClient, clientStream, upstream.Reader, upstream.Stream, cancellationToken).ConfigureAwait(false);
                    return false;
                }

                if (response.Status is >= 100 and < 200)
                {
                    continue;
                }

                await MessageBodies.CopyAsync(upstream.Reader, responseFraming, clientStream, failed.Token).ConfigureAwait(false);
                await pump.ConfigureAwait(false);
                return response.KeepsAlive(response.First);
            }
        }
        finally
        {
            if (!pump.IsCompleted)
            {
                await failed.CancelAsync().ConfigureAwait(false);
                await pump.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    private static async Task PumpAsync(ConnectionReader fromClient, BodyFraming framing, Stream upstream, CancellationTokenSource failed)
    {
        try
        {
            await MessageBodies.CopyAsync(fromClient, framing, upstream, failed.Token).ConfigureAwait(false);
        }
        catch
        {
            // The daemon waits for the rest of a body that will not come: stop reading its response too.
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>An error as the daemon words one (<c>{"message": …}</c>), which the docker CLI prints as "Error response from daemon: …".</summary>
    internal static Task RespondAsync(Stream client, int status, string message, bool close, CancellationToken cancellationToken) =>
        WriteAsync(client, status, Encoding.UTF8.GetBytes(new JsonObject { ["message"] = message }.ToJsonString()), close, cancellationToken);

    /// <summary>The daemon's own answer to a lookup, as it gave it (no body for a HEAD request).</summary>
    private static Task RespondAsync(Stream client, DaemonAnswer answer, string method, bool close, CancellationToken cancellationToken) =>
        WriteAsync(client, answer.Status, method.Equals("HEAD", StringComparison.OrdinalIgnoreCase) ? [] : answer.Body, close, cancellationToken);

    private static async Task WriteAsync(Stream client, int status, byte[] body, bool close, CancellationToken cancellationToken)
    {
        var reason = status switch { 400 => "Bad Request", 403 => "Forbidden", 404 => "Not Found", 502 => "Bad Gateway", _ => "Error" };
        var head = string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n{(close ? "Connection: close\r\n" : "")}\r\n");
        try
        {
            await client.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
            await client.WriteAsync(body, cancellationToken).ConfigureAwait(false);
            await client.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The client is gone; there is no one left to tell.
        }
    }

    /// <summary>The connection to the daemon behind this client connection, opened at its first forwarded request.</summary>
    private sealed class Upstream : IDisposable
    {
        private readonly Socket _socket;

        private Upstream(Socket socket)
        {
            _socket = socket;
            Stream = new NetworkStream(socket, ownsSocket: true);
            Reader = new ConnectionReader(Stream);
        }

        /// <summary>Readable with nothing to read: the daemon has closed its end.</summary>
        public bool IsClosed => _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;

        public NetworkStream Stream { get; }

        public ConnectionReader Reader { get; }

        public static async Task<Upstream> ConnectAsync(string path, CancellationToken cancellationToken) =>
            new(await DaemonSocket.ConnectAsync(path, cancellationToken).ConfigureAwait(false));

        public void Dispose() => Stream.Dispose();
    }
}
