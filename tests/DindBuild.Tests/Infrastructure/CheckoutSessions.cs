namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// An unnamed <c>./build.sh Teardown</c> tears down every session saved in this checkout that no live build runs, by
/// design; a test that keeps a daemon for later steps leaves exactly such a session (its StartDaemon has exited). So the
/// two must not overlap across the lanes (<see cref="EngineCollection"/>): a test holds this while it runs an unnamed
/// Teardown, or while a session it keeps is saved. Seen in a full run: the other lane's unnamed Teardown removed the
/// external test's service daemon under its DindTest ("Connection refused"). Each lane runs one test at a time, so one
/// holder per lane at most: a mutex is enough, and no test takes it twice.
/// </summary>
internal static class CheckoutSessions
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<IDisposable> HoldAsync()
    {
        await Gate.WaitAsync(TestContext.Current.CancellationToken);
        return new Release();
    }

    private sealed class Release : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Gate.Release();
            }
        }
    }
}
