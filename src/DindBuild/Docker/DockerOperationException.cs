namespace DindBuild.Docker;

/// <summary>An engine call that failed, with the engine's own words: callers need not know the client library.</summary>
public sealed class DockerOperationException(string operation, string engineMessage, Exception? inner = null)
    : Exception($"{operation} failed: {engineMessage}", inner)
{
    public string Operation { get; } = operation;

    public string EngineMessage { get; } = engineMessage;
}
