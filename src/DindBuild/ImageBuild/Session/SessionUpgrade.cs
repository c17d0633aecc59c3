using System.Text;
using DindBuild.SocketPolicy;

namespace DindBuild.ImageBuild.Session;

/// <summary>
/// <c>POST /session</c> with <c>Upgrade: h2c</c>, as the docker CLI opens a BuildKit session: the headers name the
/// session and every gRPC method the client serves; the daemon answers 101 and from then on is the HTTP/2 client
/// on this connection.
/// </summary>
internal static class SessionUpgrade
{
    private const int MaxHead = 8 * 1024;

    public static async Task UpgradeAsync(Stream connection, string sessionId, string sharedKey, IEnumerable<string> methods, CancellationToken cancellationToken)
    {
        var request = new StringBuilder()
            .Append("POST /session HTTP/1.1\r\n")
            .Append("Host: docker\r\n")
            .Append("User-Agent: DindBuild\r\n")
            .Append("Upgrade: h2c\r\n")
            .Append("Connection: Upgrade\r\n")
            .Append("Content-Length: 0\r\n")
            .Append("X-Docker-Expose-Session-Uuid: ").Append(sessionId).Append("\r\n")
            .Append("X-Docker-Expose-Session-Name: dindbuild\r\n")
            .Append("X-Docker-Expose-Session-Sharedkey: ").Append(sharedKey).Append("\r\n");
        foreach (var method in methods)
        {
            request.Append("X-Docker-Expose-Session-Grpc-Method: ").Append(method).Append("\r\n");
        }

        request.Append("\r\n");
        await connection.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cancellationToken).ConfigureAwait(false);
        await connection.FlushAsync(cancellationToken).ConfigureAwait(false);

        var head = await ReadHeadAsync(connection, cancellationToken).ConfigureAwait(false);
        HttpHead response;
        try
        {
            response = HttpHead.ParseResponse(head);
        }
        catch (HttpFramingException ex)
        {
            throw new InvalidDataException($"POST /session: the daemon's answer is not HTTP: {ex.Message}", ex);
        }

        if (response.Status != 101)
        {
            // An error answer's body is short JSON ({"message":…}); what came with the head is enough to name it.
            throw new InvalidDataException($"POST /session: the daemon answered {response.Status} {HttpHead.Printable(response.Third)}, not 101 Switching Protocols");
        }
    }

    /// <summary>The response head, read a byte at a time so that nothing after it (the daemon's HTTP/2 preface) is consumed.</summary>
    private static async Task<byte[]> ReadHeadAsync(Stream connection, CancellationToken cancellationToken)
    {
        var head = new List<byte>(256);
        var one = new byte[1];
        while (head.Count < 4 || head[^1] != '\n' || head[^2] != '\r' || head[^3] != '\n' || head[^4] != '\r')
        {
            if (head.Count >= MaxHead)
            {
                throw new InvalidDataException($"POST /session: the daemon's answer head is over {MaxHead} bytes");
            }

            if (await connection.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new InvalidDataException($"POST /session: the daemon closed the connection after {head.Count} bytes of its answer");
            }

            head.Add(one[0]);
        }

        return [.. head];
    }
}
