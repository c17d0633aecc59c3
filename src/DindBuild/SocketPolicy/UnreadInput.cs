using System.Net.Sockets;

namespace DindBuild.SocketPolicy;

/// <summary>What the proxy does with input a client sent that will not be forwarded: a refused body, or whatever follows a broken request.</summary>
internal static class UnreadInput
{
    /// <summary>How long a closing connection keeps draining what the client still sends.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Reads and drops the body of a refused request; false when the client went away first.</summary>
    public static async Task<bool> SkipAsync(ConnectionReader fromClient, long length, CancellationToken cancellationToken)
    {
        try
        {
            await fromClient.CopyExactlyAsync(length, Stream.Null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is HttpFramingException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Closes after an answer while the client may still be sending (a refused body, a broken request):
    /// a socket closed with unread input is reset, and the reset can reach the client before it reads
    /// the answer — it sees "broken pipe" instead of our 403 or 400. So our side of the connection is
    /// shut first and the rest of the input drained for a bounded time (RFC 9112 §9.6's lingering close).
    /// </summary>
    public static async Task LingerAsync(Socket client, ConnectionReader fromClient, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(Limit);
        try
        {
            client.Shutdown(SocketShutdown.Send);
            await fromClient.CopyToEndAsync(Stream.Null, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client closed, reset, or kept sending past the limit: the connection ends either way.
        }
    }
}
