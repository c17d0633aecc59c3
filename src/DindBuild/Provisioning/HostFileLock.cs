namespace DindBuild.Provisioning;

/// <summary>
/// An exclusive lock between processes on one host: an open file with no sharing (<c>flock(2)</c> underneath). The
/// kernel releases it when the process dies, so a killed run never leaves a stale lock behind, and the holder deletes
/// the file when it lets go, so a finished run leaves no lock file either (only a killed one leaves an empty, unheld
/// file, which the next run takes and deletes).
/// </summary>
/// <remarks>
/// Deleting a lock file is safe only with the usual check on the other side: a waiter may have opened the file just
/// before the holder deleted it, and then wins a lock on a file no other process can open any more. So a waiter that
/// gets the lock checks that its file is still the one at the path (Linux: <c>/proc/self/fd/N</c> reads "PATH
/// (deleted)" once it is not) and, if not, opens the path again. Where that cannot be checked (no <c>/proc</c>), the
/// file is kept, as before.
/// </remarks>
internal sealed class HostFileLock : IDisposable
{
    private const string DeletedSuffix = " (deleted)";

    private readonly FileStream _stream;
    private readonly string _path;

    private HostFileLock(FileStream stream, string path) => (_stream, _path) = (stream, path);

    public static async Task<HostFileLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (StillAtPath(stream) != false)
            {
                return new HostFileLock(stream, path);
            }

            // The holder before us deleted the file we had opened: the lock is on the file now at the path.
            stream.Dispose();
        }
    }

    public void Dispose()
    {
        // Deleted while still held, so no one can lock this file after it is gone from the path.
        if (StillAtPath(_stream) == true)
        {
            try
            {
                File.Delete(_path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Kept: an empty, unheld file, which the next run takes as before.
            }
        }

        _stream.Dispose();
    }

    /// <summary>Whether the open file is still linked at its path; null where the system does not say.</summary>
    private static bool? StillAtPath(FileStream stream)
    {
        try
        {
            var target = new FileInfo($"/proc/self/fd/{stream.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
            return target is null ? null : !target.EndsWith(DeletedSuffix, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
