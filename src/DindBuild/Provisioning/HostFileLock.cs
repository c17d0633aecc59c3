namespace DindBuild.Provisioning;

/// <summary>
/// An exclusive lock between processes on one host: an open file with no sharing. The kernel
/// releases it when the process dies, so a killed run never leaves a stale lock behind.
/// </summary>
internal sealed class HostFileLock : IDisposable
{
    private readonly FileStream _stream;

    private HostFileLock(FileStream stream) => _stream = stream;

    public static async Task<HostFileLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new HostFileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
