using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// A client that writes exactly the bytes a test gives it to a unix socket and reads responses with
/// its own parsing: for requests no HTTP library would send (smuggling attempts, bare LFs) and for
/// watching keep-alive and hijacked connections byte by byte.
/// </summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly List<byte> _pending = [];

    private RawConnection(NetworkStream stream) => _stream = stream;

    public static async Task<RawConnection> OpenAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), TestContext.Current.CancellationToken);
        return new RawConnection(new NetworkStream(socket, ownsSocket: true));
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes, TestContext.Current.CancellationToken);

    /// <summary>A JSON request with its Content-Length, keep-alive.</summary>
    public Task SendJsonAsync(string method, string target, string json) =>
        SendAsync($"{method} {target} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(json)}\r\n\r\n{json}");

    public void HalfClose() => _stream.Socket.Shutdown(SocketShutdown.Send);

    /// <summary>The next response: a Content-Length or chunked body decoded, any other read until the connection closes.</summary>
    public async Task<RawResponse> ReadResponseAsync()
    {
        var head = Encoding.Latin1.GetString(await ReadUntilAsync("\r\n\r\n"u8.ToArray()) ?? throw new IOException("the connection closed before a response"));
        var lines = head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(line => line.Split(':', 2)).ToDictionary(pair => pair[0].Trim(), pair => pair[1].Trim(), StringComparer.OrdinalIgnoreCase);
        string body;
        if (status is 101 or 204 or 100)
        {
            body = "";
        }
        else if (headers.TryGetValue("Content-Length", out var length))
        {
            body = Encoding.UTF8.GetString(await ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)));
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding == "chunked")
        {
            var decoded = new List<byte>();
            while (true)
            {
                var size = Convert.ToInt32(Encoding.ASCII.GetString((await ReadUntilAsync("\r\n"u8.ToArray()))!).Trim(), 16);
                decoded.AddRange((await ReadExactlyAsync(size + 2))[..size]);
                if (size == 0)
                {
                    break;
                }
            }

            body = Encoding.UTF8.GetString([.. decoded]);
        }
        else
        {
            body = await ReadToEndAsync();
        }

        return new RawResponse(status, headers, body);
    }

    /// <summary>The next response's head only, as text: for streams that go on after it.</summary>
    public async Task<string> ReadHeadAsync() =>
        Encoding.Latin1.GetString(await ReadUntilAsync("\r\n\r\n"u8.ToArray()) ?? throw new IOException("the connection closed before a response"));

    /// <summary>Everything until the other side closes its end (or resets it: unread data makes a unix socket's close a reset).</summary>
    public async Task<string> ReadToEndAsync()
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
            {
                _pending.AddRange(buffer.AsSpan(0, read).ToArray());
            }
        }
        catch (IOException)
        {
        }

        var text = Encoding.UTF8.GetString([.. _pending]);
        _pending.Clear();
        return text;
    }

    /// <summary>True when the other side closed the connection (reading returns nothing).</summary>
    public async Task<bool> IsClosedAsync()
    {
        try
        {
            return _pending.Count == 0 && await _stream.ReadAsync(new byte[1], TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(5)) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    private async Task<byte[]?> ReadUntilAsync(byte[] end)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var at = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending).IndexOf(end);
            if (at >= 0)
            {
                var taken = _pending.GetRange(0, at + end.Length).ToArray();
                _pending.RemoveRange(0, at + end.Length);
                return taken;
            }

            var read = await _stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
            if (read == 0)
            {
                return null;
            }

            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[4096];
        while (_pending.Count < count)
        {
            var read = await _stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
            if (read == 0)
            {
                throw new IOException("the connection closed inside a body");
            }

            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var taken = _pending.GetRange(0, count).ToArray();
        _pending.RemoveRange(0, count);
        return taken;
    }
}

internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The error message of a Docker-style JSON error body.</summary>
    public string Message => JsonDocument.Parse(Body).RootElement.GetProperty("message").GetString()!;
}
