namespace DindBuild.IO;

/// <summary>Directories (0700) and files (0600) that only this user may read: session state, client keys.</summary>
internal static class PrivateFiles
{
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Written under a temporary name created 0600 and then renamed: no moment at which others could read it, nor a half-written file.</summary>
    public static void WriteAllText(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path + ".tmp", options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>
    /// Deletes the directory and everything in it; one that is not there is fine. Returns why it could not be
    /// deleted, else null: the callers are clean-up paths, which warn and carry on.
    /// </summary>
    public static string? TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }
}
