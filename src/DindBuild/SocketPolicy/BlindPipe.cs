using System.Net.Sockets;

namespace DindBuild.SocketPolicy;

/// <summary>
/// Both directions copied as they come once a connection is no longer HTTP (after a 101, or a raw
/// stream): what the readers had buffered first. The end of one direction is passed on as a
/// half-close, as the docker CLI does when stdin ends; an error in one ends both.
/// </summary>
internal static class BlindPipe
{
    public static async Task RunAsync(ConnectionReader fromClient, NetworkStream client, ConnectionReader fromDaemon, NetworkStream daemon, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAll(CopyAsync(fromClient, daemon, failed), CopyAsync(fromDaemon, client, failed)).ConfigureAwait(false);
    }

    private static async Task CopyAsync(ConnectionReader from, NetworkStream to, CancellationTokenSource failed)
    {
        try
        {
            await from.CopyToEndAsync(to, failed.Token).ConfigureAwait(false);
            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            await failed.CancelAsync().ConfigureAwait(false);
        }
    }
}
