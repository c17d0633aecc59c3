[assembly: Xunit.AssemblyFixture(typeof(DindBuild.Tests.Infrastructure.DotnetCacheVolume))]

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// One --cache-volume for every dind run of the .NET sample in this test process (DotnetSampleTests and the
/// consumer repository's): after the first run the ~900 MB base image and the restore layers are in the daemon's
/// data root, so later runs seed nothing, as a CI runner with a cache does. The runs are in one collection, so they
/// never hold the volume at once. Removed, with what the daemons kept in it, when the test process ends.
/// </summary>
public sealed class DotnetCacheVolume : IAsyncLifetime
{
    public string Name { get; } = "dindbuild-test-dotnet-" + Guid.NewGuid().ToString("N")[..8];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CliWrap.Cli.Wrap("docker").WithArguments(["volume", "rm", "-f", Name]).WithValidation(CliWrap.CommandResultValidation.None).ExecuteAsync();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No docker CLI: no volume was made either.
        }
    }
}
