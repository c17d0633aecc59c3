using System.Net.Sockets;

namespace DindBuild.SocketPolicy;

/// <summary>Connections to the daemon's unix socket.</summary>
internal static class DaemonSocket
{
    /// <summary>
    /// A unix socket whose accept backlog is full refuses a connect at once (EAGAIN) instead of
    /// queueing it: many test clients connecting together must wait a moment, not fail.
    /// </summary>
    public static async Task<Socket> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TryAgain or SocketError.WouldBlock && attempt < 15)
            {
                // About 2 s in all.
                socket.Dispose();
                await Task.Delay(Math.Min(5 << attempt, 200), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }
}
