using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.ImageBuild;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>Inputs that can never build are refused before anything is sent to a daemon.</summary>
public sealed class ImageBuilderInputTests
{
    private static readonly ImageBuilder Builder = new(new FakeDockerEngine(), Logger.None);

    [Fact]
    public async Task A_missing_context_directory_is_a_parameter_error()
    {
        var failure = await Assert.ThrowsAsync<DindBuildException>(() =>
            Builder.BuildAsync("/nonexistent/dindbuild-context", new ImageBuildSpec("t:1", "Dockerfile"), TestContext.Current.CancellationToken));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("/nonexistent/dindbuild-context", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--context", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_filesystem_root_is_never_sent_as_a_context()
    {
        var failure = await Assert.ThrowsAsync<DindBuildException>(() =>
            Builder.BuildAsync("/", new ImageBuildSpec("t:1", "Dockerfile"), TestContext.Current.CancellationToken));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
    }

    [Fact]
    public async Task A_missing_Dockerfile_names_the_path_and_what_the_context_holds()
    {
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile.ci"), "FROM scratch\n", TestContext.Current.CancellationToken);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() =>
            Builder.BuildAsync(context.Path, new ImageBuildSpec("t:1", "Dockerfile"), TestContext.Current.CancellationToken));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains(Path.Combine(context.Path, "Dockerfile"), failure.Message, StringComparison.Ordinal);
        Assert.Contains("Dockerfile.ci", failure.Evidence, StringComparison.Ordinal);
    }
}
