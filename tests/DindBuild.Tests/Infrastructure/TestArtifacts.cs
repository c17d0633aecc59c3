using System.Security.Cryptography;
using System.Text;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// The artifacts directory of a build.sh run whose test names none: one per test, never the checkout's
/// <c>artifacts/</c>. The engine lanes run side by side, and a second run in one artifacts directory is refused
/// while the first holds it — so two tests sharing the default would fail each other. All of it is removed when
/// the test process ends (<see cref="EngineFixture"/>).
/// </summary>
internal static class TestArtifacts
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"dindbuild-test-artifacts-{Environment.ProcessId}");

    /// <summary>The current test's directory (created); every run of one test shares it, as they shared artifacts/.</summary>
    public static string ForCurrentTest()
    {
        var test = TestContext.Current.Test?.UniqueID ?? "outside-a-test";
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(test)))[..16];
        var directory = Path.Combine(Root, name);
        Directory.CreateDirectory(directory);
        return directory;
    }

    public static void RemoveAll()
    {
        try
        {
            if (Directory.Exists(Root))
            {
                Directory.Delete(Root, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing the run over.
        }
    }
}
