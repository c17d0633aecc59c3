using System.Net.Sockets;
using System.Text;

namespace DindBuild.SocketPolicy;

/// <summary>The daemon's answer to one of the policy's own questions: status and body.</summary>
internal sealed record DaemonAnswer(int Status, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>Questions the policy asks the daemon itself (who owns an object, creating a labelled volume); <c>docker inspect</c>, <c>docker volume create</c>.</summary>
internal interface IDaemonQueries
{
    /// <summary>One request with an optional JSON body; an <see cref="IOException"/> when the daemon cannot be asked.</summary>
    Task<DaemonAnswer> SendAsync(string method, string path, string? json, CancellationToken cancellationToken);
}

/// <summary>The policy's questions, each on a connection of its own to the daemon's socket, named by their User-Agent.</summary>
internal sealed class DaemonLookup(string upstreamPath) : IDaemonQueries
{
    public const string UserAgent = "dindbuild-socket-policy";

    /// <summary>An inspect answer is a few KiB; a container with huge labels or environment still fits.</summary>
    private const int AnswerLimit = 8 << 20;

    public async Task<DaemonAnswer> SendAsync(string method, string path, string? json, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = await DaemonSocket.ConnectAsync(upstreamPath, cancellationToken).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var body = json is null ? [] : Encoding.UTF8.GetBytes(json);
            var head = $"{method} {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: {UserAgent}\r\nConnection: close\r\n"
                + (json is null ? "" : $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n") + "\r\n";
            // One write: a daemon that answers a body-less request at once may close before a second one (EPIPE).
            await stream.WriteAsync((byte[])[.. Encoding.ASCII.GetBytes(head), .. body], cancellationToken).ConfigureAwait(false);
            var reader = new ConnectionReader(stream);
            var raw = await reader.ReadHeadAsync(64 * 1024, cancellationToken).ConfigureAwait(false) ?? throw new IOException("the daemon closed the connection without an answer");
            var response = HttpHead.ParseResponse(raw);
            var framing = response.ResponseFraming(method);
            byte[]? answer;
            if (framing.Kind == BodyFramingKind.UntilClose)
            {
                using var buffer = new MemoryStream();
                await reader.CopyToEndAsync(buffer, cancellationToken).ConfigureAwait(false);
                answer = buffer.Length <= AnswerLimit ? buffer.ToArray() : null;
            }
            else
            {
                answer = await MessageBodies.ReadAsync(reader, framing, AnswerLimit, cancellationToken).ConfigureAwait(false);
            }

            return new DaemonAnswer(response.Status, answer ?? throw new IOException($"the daemon's answer to {method} {path} is larger than {AnswerLimit >> 20} MiB"));
        }
        catch (Exception ex) when (ex is SocketException or HttpFramingException)
        {
            throw new IOException(ex.Message, ex);
        }
    }
}
