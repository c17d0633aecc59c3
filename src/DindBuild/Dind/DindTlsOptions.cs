namespace DindBuild.Dind;

/// <summary>Whether the DinD daemon gets a mutual-TLS TCP endpoint, and extra names or addresses for its certificate.</summary>
public sealed record DindTlsOptions(bool Enabled, IReadOnlyList<string> ExtraNames)
{
    public static DindTlsOptions Off { get; } = new(false, []);
}
