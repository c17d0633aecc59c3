namespace DindBuild.Docker;

/// <summary>
/// A secret a build step reads through <c>RUN --mount=type=secret,id=ID</c> (<c>docker build --secret id=ID,…</c>): served
/// to the daemon over the BuildKit session, held only in this process's memory. <see cref="ToString"/> never shows the value.
/// </summary>
public sealed class BuildSecret
{
    /// <summary>BuildKit's own limit for one secret (its secrets provider refuses larger ones).</summary>
    public const int MaxBytes = 500 * 1024;

    public BuildSecret(string id, ReadOnlyMemory<byte> value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        if (value.Length > MaxBytes)
        {
            throw new ArgumentException($"The build secret '{id}' has {value.Length} bytes; BuildKit takes at most {MaxBytes}.", nameof(value));
        }

        Id = id;
        Value = value;
    }

    public string Id { get; }

    public ReadOnlyMemory<byte> Value { get; }

    public override string ToString() => $"build secret '{Id}' ({Value.Length} bytes)";
}
