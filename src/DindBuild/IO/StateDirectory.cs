namespace DindBuild.IO;

/// <summary>
/// DindBuild's state in a repository: <c>.dindbuild/</c> at its root (saved sessions with daemon endpoints, the
/// bootstrapper's Cake packages, DindBuild's own engine build). It holds a <c>.gitignore</c> of <c>*</c>, so git
/// ignores it without an entry in the team's <c>.gitignore</c>, and it is never sent in a build context
/// (<see cref="ImageBuild.NeverSent"/>), whatever the team's <c>.dockerignore</c> says.
/// </summary>
internal static class StateDirectory
{
    public const string Name = ".dindbuild";

    public static string For(string repositoryRoot) => Path.Combine(repositoryRoot, Name);

    /// <summary>What a repository's runs learnt about host engines (<see cref="EngineMemoryFile{T}"/>): <c>.dindbuild/engines/</c>.</summary>
    public static string EnginesFor(string repositoryRoot) => Path.Combine(For(repositoryRoot), "engines");

    /// <summary>Writes <c>.gitignore</c> (<c>*</c>) into <paramref name="stateDirectory"/> when it is DindBuild's state directory and has none.</summary>
    public static void MarkIgnoredByGit(string stateDirectory)
    {
        if (Path.GetFileName(Path.TrimEndingDirectorySeparator(stateDirectory)) != Name)
        {
            return;
        }

        var ignore = Path.Combine(stateDirectory, ".gitignore");
        if (!File.Exists(ignore))
        {
            Directory.CreateDirectory(stateDirectory);
            File.WriteAllText(ignore, "# DindBuild state: never committed.\n*\n");
        }
    }
}
