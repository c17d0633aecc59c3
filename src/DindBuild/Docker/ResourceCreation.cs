namespace DindBuild.Docker;

/// <summary>
/// A create the engine has received completes there whether or not the client still listens: a
/// cancelled request only stops the client from hearing of the new container, volume or network.
/// Teardown right after a Ctrl+C would list the session's resources a moment before that one
/// appears, and leave it behind (seen once in 29 signalled runs). So a create is never abandoned:
/// it gets <see cref="Grace"/> past a cancellation to answer, and the cancellation is observed once
/// its answer is in — by then the resource exists, is labelled, and teardown finds it.
/// </summary>
internal static class ResourceCreation
{
    /// <summary>How long a create may still take after the run was cancelled; creates take well under a second.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(15);

    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> create, CancellationToken cancellationToken)
    {
        // Nothing sent yet: nothing to wait for.
        cancellationToken.ThrowIfCancellationRequested();
        using var grace = new CancellationTokenSource();
        using (cancellationToken.Register(() => grace.CancelAfter(Grace)))
        {
            var created = await create(grace.Token).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return created;
        }
    }

    public static Task RunAsync(Func<CancellationToken, Task> create, CancellationToken cancellationToken) =>
        RunAsync<bool>(
            async token =>
            {
                await create(token).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
}
