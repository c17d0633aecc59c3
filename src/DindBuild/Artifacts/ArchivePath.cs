using System.Buffers;
using System.Globalization;
using System.Text;

namespace DindBuild.Artifacts;

/// <summary>The textual rules for names in a hostile archive: what is absolute, what is not a valid file name, what maps where.</summary>
internal static class ArchivePath
{
    /// <summary>Linux's NAME_MAX: bytes in one path component.</summary>
    public const int MaxComponentBytes = 255;

    /// <summary>Linux's PATH_MAX is 4096 bytes with the terminating NUL.</summary>
    public const int MaxPathBytes = 4095;

    private static readonly SearchValues<char> InvalidNameChars = SearchValues.Create(Path.GetInvalidFileNameChars());

    public static bool IsAbsolute(string path) =>
        path.StartsWith('/') || path.StartsWith('\\') || Path.IsPathRooted(path);

    public static bool HasInvalidNameChar(string component) => component.AsSpan().IndexOfAny(InvalidNameChars) >= 0;

    /// <summary>
    /// Why a name or link target is longer than a Linux file system takes (phrased to follow "its path" or "its
    /// target"), or null. Checked before the host is asked, which would only throw (an unhandled "path too long").
    /// </summary>
    public static string? WhyTooLong(string path)
    {
        var bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxPathBytes)
        {
            return string.Create(CultureInfo.InvariantCulture, $"is {bytes} bytes long, more than the {MaxPathBytes} a path may have (PATH_MAX)");
        }

        foreach (var component in path.Split('/'))
        {
            var componentBytes = Encoding.UTF8.GetByteCount(component);
            if (componentBytes > MaxComponentBytes)
            {
                return string.Create(CultureInfo.InvariantCulture, $"has a component of {componentBytes} bytes, more than the {MaxComponentBytes} a file name may have (NAME_MAX)");
            }
        }

        return null;
    }

    /// <summary>
    /// Turns an archive path into components relative to the destination, or explains why it is unsafe.
    /// </summary>
    /// <param name="archivePath">An entry name or hardlink target as it appears in the archive.</param>
    /// <param name="strip">The leading component to remove (see <see cref="SafeTarExtractor.ExtractAsync"/>), or empty.</param>
    /// <param name="isDirectory">Whether the entry is a directory, which may then name the destination itself.</param>
    /// <param name="rel">The components below the destination; empty for the destination itself.</param>
    /// <param name="why">Why the path was refused, phrased to follow "its path".</param>
    public static bool TryMap(string archivePath, string strip, bool isDirectory, out string[] rel, out string why)
    {
        rel = [];
        if (string.IsNullOrEmpty(archivePath))
        {
            why = "is empty";
            return false;
        }

        if (IsAbsolute(archivePath))
        {
            why = "is absolute";
            return false;
        }

        if (WhyTooLong(archivePath) is { } tooLong)
        {
            why = tooLong;
            return false;
        }

        var components = archivePath.Split('/').Where(c => c is not ("" or ".")).ToList();
        if (components.Contains(".."))
        {
            why = "contains a '..' component";
            return false;
        }

        if (components.Any(HasInvalidNameChar))
        {
            why = "contains a character that is not valid in a file name";
            return false;
        }

        if (strip.Length > 0)
        {
            if (components.Count == 0 || components[0] != strip)
            {
                why = $"is not under '{strip}/', the path that was requested";
                return false;
            }

            // A non-directory named exactly like the requested path means a single file was requested:
            // it is written under its own name rather than replacing the destination directory.
            if (components.Count > 1 || isDirectory)
            {
                components.RemoveAt(0);
            }
        }
        else if (components.Count == 0 && !isDirectory)
        {
            why = "names the destination directory itself";
            return false;
        }

        rel = [.. components];
        why = "";
        return true;
    }
}
