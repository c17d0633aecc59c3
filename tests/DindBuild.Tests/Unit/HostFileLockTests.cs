using DindBuild.Provisioning;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// The host-wide lock around building DindBuild's images: exclusive between holders, and gone from the disk once
/// released ("leave no lock files behind"), including when waiters race the delete.
/// </summary>
public sealed class HostFileLockTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string LockPath => _directory.Combine("images.lock");

    [Fact]
    public async Task A_released_lock_leaves_no_file()
    {
        using (await HostFileLock.AcquireAsync(LockPath, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken))
        {
            Assert.True(File.Exists(LockPath));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory.Path));
    }

    [Fact]
    public async Task The_empty_file_a_killed_run_left_is_taken_and_deleted()
    {
        await File.WriteAllBytesAsync(LockPath, [], TestContext.Current.CancellationToken);

        (await HostFileLock.AcquireAsync(LockPath, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken)).Dispose();

        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public async Task A_waiter_gets_the_lock_when_the_holder_lets_go_and_holds_the_file_at_the_path()
    {
        var holder = await HostFileLock.AcquireAsync(LockPath, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var waiter = HostFileLock.AcquireAsync(LockPath, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await Task.Delay(600, TestContext.Current.CancellationToken);
        Assert.False(waiter.IsCompleted, "the waiter got the lock while it was held");

        holder.Dispose();
        using (await waiter.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken))
        {
            Assert.True(File.Exists(LockPath), "the waiter holds a file no other process can open");
            await Assert.ThrowsAnyAsync<IOException>(() => HostFileLock.AcquireAsync(LockPath, TimeSpan.Zero, TestContext.Current.CancellationToken));
        }

        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public async Task Holders_that_delete_the_file_on_release_never_overlap()
    {
        var inside = 0;
        var overlaps = 0;
        async Task WorkerAsync()
        {
            for (var i = 0; i < 20; i++)
            {
                using var held = await HostFileLock.AcquireAsync(LockPath, TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                await Task.Delay(Random.Shared.Next(0, 3));
                Interlocked.Decrement(ref inside);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(WorkerAsync)));

        Assert.Equal(0, overlaps);
        Assert.False(File.Exists(LockPath));
    }
}
