using System.Collections.Immutable;

namespace DindBuild.Docker;

/// <summary>What <c>docker build</c> is given besides the context.</summary>
public sealed record ImageBuildSpec(string Tag, string Dockerfile)
{
    public ImmutableDictionary<string, string> BuildArgs { get; init; } = ImmutableDictionary<string, string>.Empty;

    public string? TargetStage { get; init; }

    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Credentials for pulling base images during the build (the classic builder's; BuildKit without a client session has no way to take them).</summary>
    public ImmutableArray<Settings.RegistryCredential> RegistryCredentials { get; init; } = [];

    /// <summary>Secrets for <c>RUN --mount=type=secret</c> (BuildKit only): served over a BuildKit session opened for this build.</summary>
    public ImmutableArray<BuildSecret> Secrets { get; init; } = [];

    /// <summary>
    /// Open the BuildKit session even without <see cref="Secrets"/>: the Dockerfile mounts one. Without any session
    /// BuildKit fails such a step ("no active sessions"); with one, a mount the run does not give is skipped unless it
    /// says <c>required=true</c>, as with <c>docker build</c>.
    /// </summary>
    public bool SecretMounts { get; init; }

    /// <summary>Which of the daemon's builders runs the build (<c>docker build</c> with <c>DOCKER_BUILDKIT=1</c> or <c>0</c>).</summary>
    public BuilderKind Builder { get; init; } = BuilderKind.Classic;
}

/// <summary>The daemon's two image builders, as the Engine API's <c>version</c> parameter of <c>POST /build</c> names them (1 and 2).</summary>
public enum BuilderKind
{
    /// <summary>The legacy builder (<c>version=1</c>): one step after the other, every stage built.</summary>
    Classic,

    /// <summary>BuildKit (<c>version=2</c>): heredocs, <c>RUN --mount</c>, <c>COPY --chmod</c>, only the stages the target needs.</summary>
    BuildKit,
}

/// <summary>One message of a build, load or import progress stream.</summary>
public sealed record ProgressMessage(string? Text, string? Error)
{
    /// <summary>A BuildKit build's progress: the bytes of a <c>moby.buildkit.v1.StatusResponse</c> (the message's <c>aux</c>, base64-decoded).</summary>
    public byte[]? Trace { get; init; }

    /// <summary>The built image's id, when the message reports it (<c>{"aux":{"ID":"sha256:…"}}</c>).</summary>
    public string? ImageId { get; init; }
}

/// <summary>The part of <c>docker image inspect</c> a run acts on.</summary>
public sealed record ImageSummary(string Id, IReadOnlyList<string> Tags, long Size, IReadOnlyDictionary<string, string> Labels);
