namespace DindBuild.Compose;

/// <summary>Which host directories a stack needs in the DinD container: those of its compose files, none inside another.</summary>
internal static class ComposeDirectories
{
    /// <summary>Each compose file's directory (with that file, which the archive always takes), outermost first, nested ones dropped.</summary>
    public static IReadOnlyList<(string Directory, string AnyFileInIt)> ToCopy(IReadOnlyList<string> files)
    {
        var chosen = new List<(string Directory, string AnyFileInIt)>();
        foreach (var file in files.OrderBy(file => Path.GetDirectoryName(file)!.Length))
        {
            var directory = Path.GetDirectoryName(file)!;
            if (!chosen.Any(entry => IsUnder(directory, entry.Directory)))
            {
                chosen.Add((directory, file));
            }
        }

        return chosen;
    }

    /// <summary>Bind mount sources that are not under any copied directory: the daemon resolves them in the DinD container.</summary>
    public static IReadOnlyList<string> BindSourcesOutside(ComposeModel model, IReadOnlyList<string> files)
    {
        var copied = ToCopy(files).Select(entry => entry.Directory).ToList();
        return [.. model.Services.SelectMany(service => service.BindSources)
            .Where(source => source.StartsWith('/') && source != "/var/run/docker.sock" && !copied.Any(directory => IsUnder(source, directory)))
            .Distinct(StringComparer.Ordinal)];
    }

    private static bool IsUnder(string path, string directory) =>
        path == directory || path.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal);
}
