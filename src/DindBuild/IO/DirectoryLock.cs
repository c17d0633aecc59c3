using System.Globalization;
using System.Runtime.InteropServices;

namespace DindBuild.IO;

/// <summary>
/// An exclusive lock on a directory between processes that leaves no file behind: <c>flock(2)</c> on
/// the directory's own descriptor. The kernel drops it when the process ends, killed or not, and the
/// descriptor is close-on-exec, so no child (a dockerd started for the host) keeps it. The runtime's
/// System.Native shim is called, as in <see cref="ImageBuild.UnixFileType"/>: its flags are the same
/// on every Unix flavour and CPU architecture, unlike libc's.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    private const int ReadOnlyCloseOnExec = 0x0000 | 0x0010;
    private const int Exclusive = 2;
    private const int NonBlocking = 4;
    private const int WouldBlock = 11;

    private nint _descriptor;

    private DirectoryLock(nint descriptor) => _descriptor = descriptor;

    /// <summary>The lock, or null and the pid of the process that holds it (null when this one cannot see it).</summary>
    public static (DirectoryLock? Lock, int? HolderPid) TryAcquire(string directory)
    {
        var descriptor = Open(directory, ReadOnlyCloseOnExec, 0);
        if (descriptor < 0)
        {
            throw new IOException($"cannot open {directory}: errno {Marshal.GetLastPInvokeError()}");
        }

        if (FLock(descriptor, Exclusive | NonBlocking) == 0)
        {
            return (new DirectoryLock(descriptor), null);
        }

        var error = Marshal.GetLastPInvokeError();
        try
        {
            return error == WouldBlock
                ? (null, HolderOf(descriptor))
                : throw new IOException($"cannot lock {directory}: errno {error}");
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    public void Dispose()
    {
        if (_descriptor >= 0)
        {
            _ = Close(_descriptor);
            _descriptor = -1;
        }
    }

    /// <summary>The pid that <c>/proc/locks</c> names for a flock on the same inode as <paramref name="descriptor"/>.</summary>
    private static int? HolderOf(nint descriptor)
    {
        try
        {
            var inode = File.ReadLines($"/proc/self/fdinfo/{descriptor}")
                .Select(line => line.Split(':', 2))
                .FirstOrDefault(pair => pair.Length == 2 && pair[0] == "ino")?[1].Trim();
            if (inode is null)
            {
                return null;
            }

            // "1: FLOCK  ADVISORY  WRITE 2771 fe:00:11673876 0 EOF"; waiters are marked "->".
            foreach (var fields in File.ReadLines("/proc/locks").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                if (fields is [_, "FLOCK", _, _, var pid, var file, ..] && file.EndsWith(":" + inode, StringComparison.Ordinal)
                    && int.TryParse(pid, CultureInfo.InvariantCulture, out var holder))
                {
                    return holder;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No /proc, or not ours to read: the holder stays unnamed.
        }

        return null;
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Open", SetLastError = true)]
    private static extern nint Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_FLock", SetLastError = true)]
    private static extern int FLock(nint descriptor, int operation);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Close", SetLastError = true)]
    private static extern int Close(nint descriptor);
}
