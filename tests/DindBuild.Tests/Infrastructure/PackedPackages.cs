namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// The three packages as './build.sh Pack' makes them, packed once per test process into a temporary artifacts
/// directory (never this checkout's artifacts/packages) and shared by every test that plays a consumer.
/// </summary>
internal sealed class PackedPackages
{
    private static readonly Lazy<Task<PackedPackages>> Shared = new(PackAsync);

    private PackedPackages(string directory, string version)
    {
        Feed = directory;
        Version = version;
    }

    /// <summary>A local folder feed holding DindBuild, DindBuild.Cake and DindBuild.Templates (and nothing else).</summary>
    public string Feed { get; }

    public string Version { get; }

    public string TemplatesPackage => Path.Combine(Feed, $"DindBuild.Templates.{Version}.nupkg");

    public static Task<PackedPackages> GetAsync() => Shared.Value;

    private static async Task<PackedPackages> PackAsync()
    {
        var artifacts = Path.Combine(Path.GetTempPath(), $"dindbuild-packed-{Guid.NewGuid():N}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Delete(artifacts);
        var run = await BuildScript.RunAsync(["Pack", "--artifacts-dir", artifacts]);
        Assert.True(run.ExitCode == 0, "./build.sh Pack failed:\n" + run.Output);
        var feed = Path.Combine(artifacts, "packages");
        var templates = Directory.GetFiles(feed, "DindBuild.Templates.*.nupkg").Single();
        var version = Path.GetFileNameWithoutExtension(templates)["DindBuild.Templates.".Length..];
        foreach (var id in new[] { "DindBuild", "DindBuild.Cake" })
        {
            Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.nupkg")), $"Pack made no {id} {version}: {string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName))}");
        }

        return new PackedPackages(feed, version);
    }

    private static void Delete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing the run over.
        }
    }
}
