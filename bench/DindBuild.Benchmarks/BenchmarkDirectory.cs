namespace DindBuild.Benchmarks;

/// <summary>A scratch directory for one benchmark, removed afterwards.</summary>
internal sealed class BenchmarkDirectory : IDisposable
{
    private readonly string _root = System.IO.Directory.CreateTempSubdirectory("dindbuild-bench-").FullName;

    public string PathOf(string name) => Path.Combine(_root, name);

    public string Directory(string name) => System.IO.Directory.CreateDirectory(PathOf(name)).FullName;

    public string Write(string name, string text)
    {
        var path = PathOf(name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Scratch space: a leftover is not worth failing a benchmark over.
        }
    }
}
