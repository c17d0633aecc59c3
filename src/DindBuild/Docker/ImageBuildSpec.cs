using System.Collections.Immutable;

namespace DindBuild.Docker;

/// <summary>What <c>docker build</c> is given besides the context.</summary>
public sealed record ImageBuildSpec(string Tag, string Dockerfile)
{
    public ImmutableDictionary<string, string> BuildArgs { get; init; } = ImmutableDictionary<string, string>.Empty;

    public string? TargetStage { get; init; }

    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Credentials for pulling base images during the build.</summary>
    public ImmutableArray<Settings.RegistryCredential> RegistryCredentials { get; init; } = [];
}

/// <summary>One message of a build, load or import progress stream.</summary>
public sealed record ProgressMessage(string? Text, string? Error);

/// <summary>The part of <c>docker image inspect</c> a run acts on.</summary>
public sealed record ImageSummary(string Id, IReadOnlyList<string> Tags, long Size, IReadOnlyDictionary<string, string> Labels);
