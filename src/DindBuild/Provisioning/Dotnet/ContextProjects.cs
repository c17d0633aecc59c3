using System.Security.Cryptography;
using System.Text;

namespace DindBuild.Provisioning.Dotnet;

/// <summary>
/// The files of a build context that decide what <c>dotnet restore</c> fetches — project and solution
/// files, MSBuild props/targets, NuGet configs, global.json, lock files — as a Dockerfile's restore
/// layer copies them. Their <see cref="Hash"/> stands for the context's package list: a change to any
/// of them may change what is restored.
/// </summary>
internal sealed record ContextProjects(string Directory, IReadOnlyList<string> RelativePaths, string Hash)
{
    private static readonly string[] Extensions = [".csproj", ".fsproj", ".vbproj", ".sln", ".slnx", ".slnf", ".props", ".targets"];
    private static readonly string[] Names = ["nuget.config", "global.json", "packages.lock.json"];

    // Never the sources of a restore, and often huge.
    private static readonly string[] SkippedDirectories = ["bin", "obj", ".git", ".dindbuild", "node_modules", "TestResults", "artifacts"];

    /// <summary>The solution at the context's root when there is exactly one, else every project: what <c>dotnet restore</c> is run on.</summary>
    public IReadOnlyList<string> RestoreTargets
    {
        get
        {
            var solutions = RelativePaths.Where(path => !path.Contains('/', StringComparison.Ordinal) && (path.EndsWith(".sln", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".slnx", StringComparison.OrdinalIgnoreCase))).ToList();
            return solutions.Count == 1
                ? solutions
                : [.. RelativePaths.Where(path => path.EndsWith("proj", StringComparison.OrdinalIgnoreCase))];
        }
    }

    /// <summary>Null when the context has no .NET project (nothing to restore).</summary>
    public static ContextProjects? Find(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return null;
        }

        var found = new List<string>();
        Walk(directory, "", found);
        found.Sort(StringComparer.Ordinal);
        if (!found.Any(path => path.EndsWith("proj", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in found)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(path + "\0"));
            hash.AppendData(File.ReadAllBytes(Path.Combine(directory, path)));
            hash.AppendData("\0"u8);
        }

        return new ContextProjects(directory, found, Convert.ToHexStringLower(hash.GetHashAndReset())[..16]);
    }

    /// <summary>Symlinks are not followed: a context's restore files are its own.</summary>
    private static void Walk(string root, string relative, List<string> found)
    {
        foreach (var entry in new DirectoryInfo(Path.Combine(root, relative)).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            var path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (entry is DirectoryInfo)
            {
                if (!SkippedDirectories.Contains(entry.Name, StringComparer.OrdinalIgnoreCase))
                {
                    Walk(root, path, found);
                }
            }
            else if (Extensions.Any(extension => entry.Name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) || Names.Contains(entry.Name, StringComparer.OrdinalIgnoreCase))
            {
                found.Add(path);
            }
        }
    }
}
