namespace DindBuild.Dind;

/// <summary>What the DinD container is given beyond its image and privilege profile.</summary>
public sealed record DindOptions(bool Tls, IReadOnlyList<string> TlsExtraNames, string SysboxRuntime);
