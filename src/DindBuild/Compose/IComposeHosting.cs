namespace DindBuild.Compose;

/// <summary>
/// A mode that can run <c>--compose-file</c> stacks: where compose runs and its bind mounts resolve. Only dind in this
/// version; dood and external are refused before any daemon starts (<see cref="ComposeRefusal"/>).
/// </summary>
internal interface IComposeHosting
{
    /// <summary>The DinD container to exec compose in, once its daemon answers.</summary>
    Task<DindComposeHost> ComposeHostAsync(CancellationToken cancellationToken);
}
