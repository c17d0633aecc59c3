namespace DindBuild.Provisioning;

/// <summary>What Debian's own images drop after installing: downloaded .debs and package lists (about 100 MB).</summary>
internal static class AptCaches
{
    public static void Remove(string root)
    {
        foreach (var (directory, pattern) in new[] { ("var/cache/apt/archives", "*.deb"), ("var/cache/apt", "*.bin"), ("var/lib/apt/lists", "*") })
        {
            var path = Path.Combine(root, directory);
            if (!Directory.Exists(path))
            {
                continue;
            }

            // Files only, and never through a link: the partial/ directories and the lock stay.
            foreach (var file in new DirectoryInfo(path).EnumerateFiles(pattern).Where(file => file.LinkTarget is null))
            {
                file.Delete();
            }
        }
    }
}
