using System.Net.Sockets;
using System.Text;

namespace DindBuild.SocketPolicy;

/// <summary>Questions the policy asks the daemon itself, each on a connection of its own.</summary>
internal static class DaemonLookup
{
    /// <summary>
    /// Whether the daemon has a volume of this name. When it cannot tell, the answer is yes: the
    /// volume then goes unlabelled, which at worst leaves it behind, where a wrong "no" could have
    /// teardown remove a volume that was never the session's.
    /// </summary>
    public static async Task<bool> VolumeExistsAsync(string upstreamPath, string name, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = await DaemonSocket.ConnectAsync(upstreamPath, cancellationToken).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var request = $"GET /volumes/{Uri.EscapeDataString(name)} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken).ConfigureAwait(false);
            var head = await new ConnectionReader(stream).ReadHeadAsync(64 * 1024, cancellationToken).ConfigureAwait(false);
            return head is null || HttpHead.ParseResponse(head).Status != 404;
        }
        catch (Exception ex) when (ex is IOException or SocketException or HttpFramingException)
        {
            return true;
        }
    }
}
