using DindBuild.Diagnostics;
using DindBuild.Hosting;
using DindBuild.IO;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>The artifacts directory's lock: a flock on the directory itself, exclusive, naming its holder, leaving no file.</summary>
public sealed class DirectoryLockTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_second_lock_is_refused_and_told_the_holders_pid_until_the_first_is_released()
    {
        var (first, _) = DirectoryLock.TryAcquire(_directory.Path);
        Assert.NotNull(first);

        var (second, holder) = DirectoryLock.TryAcquire(_directory.Path);
        Assert.Null(second);
        Assert.Equal(Environment.ProcessId, holder);

        first.Dispose();
        var (third, _) = DirectoryLock.TryAcquire(_directory.Path);
        Assert.NotNull(third);
        third.Dispose();
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory.Path));
    }

    [Fact]
    public void A_run_in_a_directory_another_run_holds_is_refused_with_exit_code_2_and_the_holder()
    {
        var settings = new DindBuild.Settings.DindSettings(_directory.Path).WithHostArtifactsDirectory(_directory.Combine("artifacts"));
        using var first = ArtifactsDirectoryLock.ForTarget(settings, "DindTest");

        var failure = Assert.Throws<DindBuildException>(() => ArtifactsDirectoryLock.ForTarget(settings, "RunTests"));

        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Contains($"is in use by another DindBuild run: pid {Environment.ProcessId}", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("its own '--artifacts-dir'", failure.HowToFix, StringComparison.Ordinal);
        Assert.NotNull(first.JsonLogFile);
    }

    [Fact]
    public void Reap_and_Test_are_never_refused_and_log_nowhere_another_run_holds()
    {
        var settings = new DindBuild.Settings.DindSettings(_directory.Path).WithHostArtifactsDirectory(_directory.Combine("artifacts"));
        using (var alone = ArtifactsDirectoryLock.ForTarget(settings, "Reap"))
        {
            Assert.NotNull(alone.JsonLogFile);
        }

        using var first = ArtifactsDirectoryLock.ForTarget(settings, "DindTest");
        using var reap = ArtifactsDirectoryLock.ForTarget(settings, "Reap");
        using var test = ArtifactsDirectoryLock.ForTarget(settings, "Test");

        Assert.Null(reap.JsonLogFile);
        Assert.Null(test.JsonLogFile);
        Assert.Null(ArtifactsDirectoryLock.ForTarget(settings, "Help").JsonLogFile);
    }
}
