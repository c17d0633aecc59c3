using System.Runtime.InteropServices;

namespace DindBuild.ImageBuild;

/// <summary>
/// .NET has no public API for the file type, and a FIFO must be recognised before it is opened. The
/// runtime's own System.Native shim normalizes <c>lstat</c> across Unix flavours and CPU architectures.
/// </summary>
internal static class UnixFileType
{
    private const int TypeMask = 0xF000;
    private const int RegularFile = 0x8000;

    private static bool s_unavailable;

    public static bool IsRegularOrUnknown(string path)
    {
        if (s_unavailable)
        {
            return true;
        }

        try
        {
            // A failed lstat (the file vanished) is reported by the subsequent open, with a better message.
            return LStat(path, out var status) != 0 || (status.Mode & TypeMask) == RegularFile;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return true;
        }
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
    private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out FileStatus status);

    // Only the leading fields are read; the size leaves room for the shim's struct to grow.
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }
}
