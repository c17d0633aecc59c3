using DindBuild.ImageBuild;

namespace DindBuild.Tests.Unit;

/// <summary>Context directories that must not be uploaded are refused before anything is read (<c>ContextDirectoryGuard</c>).</summary>
public sealed class ContextDirectoryGuardTests : IDisposable
{
    private readonly DirectoryInfo _sandbox = Directory.CreateTempSubdirectory("dindbuild-context-");

    public void Dispose() => _sandbox.Delete(recursive: true);

    [Fact]
    public async Task Missing_context_directory_is_rejected_before_anything_is_written()
    {
        using var destination = new MemoryStream();
        var missing = Path.Combine(_sandbox.FullName, "does-not-exist");

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => BuildContextArchive.WriteAsync(missing, "Dockerfile", destination, TestContext.Current.CancellationToken));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public void Validation_rejects_the_filesystem_root_and_the_home_directory()
    {
        var root = Assert.Throws<ArgumentException>(() => BuildContextArchive.ValidateContextDirectory("/"));
        Assert.Contains("filesystem root", root.Message, StringComparison.Ordinal);

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0 && Directory.Exists(home))
        {
            var homeError = Assert.Throws<ArgumentException>(
                () => BuildContextArchive.ValidateContextDirectory(home + Path.DirectorySeparatorChar));
            Assert.Contains("home directory", homeError.Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentException>(() => BuildContextArchive.ValidateContextDirectory(" "));
        BuildContextArchive.ValidateContextDirectory(_sandbox.FullName);
    }
}
