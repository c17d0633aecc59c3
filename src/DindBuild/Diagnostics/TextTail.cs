namespace DindBuild.Diagnostics;

/// <summary>Keeps the last lines of a text for error messages (daemon logs, build output).</summary>
internal static class TextTail
{
    public static string LastLines(string text, int count)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - count)));
    }

    public static string FileTail(string path, int count)
    {
        try
        {
            return File.Exists(path) ? LastLines(File.ReadAllText(path), count) : $"(no log at {path})";
        }
        catch (IOException ex)
        {
            return $"(could not read {path}: {ex.Message})";
        }
    }
}
