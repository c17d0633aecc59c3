namespace DindBuild.ImageBuild;

/// <summary>
/// Rejects build context directories that are missing, or that are almost certainly a mistake to upload whole
/// (the filesystem root, the user's home directory), before anything is read from them.
/// </summary>
internal static class ContextDirectoryGuard
{
    /// <exception cref="ArgumentException">The directory is not a sensible build context.</exception>
    public static void Validate(string contextDirectory)
    {
        if (string.IsNullOrWhiteSpace(contextDirectory))
        {
            throw new ArgumentException(
                "The build context directory is empty. Pass the directory that holds the Dockerfile's inputs, usually the repository or project root.",
                nameof(contextDirectory));
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(contextDirectory));
        if (!Directory.Exists(full))
        {
            var what = File.Exists(full) ? "is a file, not a directory" : "does not exist";
            throw new ArgumentException(
                $"The build context directory '{full}' {what}. Pass an existing directory; relative paths are resolved against the current directory '{Environment.CurrentDirectory}'.",
                nameof(contextDirectory));
        }

        var resolved = ResolveFinalTarget(full);
        if (IsFileSystemRoot(full) || IsFileSystemRoot(resolved))
        {
            throw new ArgumentException(
                $"The build context directory '{full}' is the filesystem root, so the whole disk would be uploaded to the Docker engine. Pass the project directory that contains the Dockerfile instead.",
                nameof(contextDirectory));
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0)
        {
            var homeFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(home));
            if (SamePath(full, homeFull) || SamePath(resolved, ResolveFinalTarget(homeFull)))
            {
                throw new ArgumentException(
                    $"The build context directory '{full}' is your home directory, so all of its files would be uploaded to the Docker engine. Pass the project directory that contains the Dockerfile instead.",
                    nameof(contextDirectory));
            }
        }
    }

    private static string ResolveFinalTarget(string directory)
    {
        try
        {
            var target = new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? directory : Path.TrimEndingDirectorySeparator(target.FullName);
        }
        catch (IOException)
        {
            return directory;
        }
    }

    private static bool IsFileSystemRoot(string fullPath) =>
        Path.GetPathRoot(fullPath) is { Length: > 0 } root && SamePath(Path.TrimEndingDirectorySeparator(root), fullPath);

    private static bool SamePath(string a, string b) => string.Equals(
        a,
        b,
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
