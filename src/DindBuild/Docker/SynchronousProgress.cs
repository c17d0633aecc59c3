namespace DindBuild.Docker;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs the handler on the reporting thread.
/// <see cref="Progress{T}"/> posts to the thread pool, so messages would arrive after the
/// awaited call returned and a build error could be missed.
/// </summary>
internal sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
