using System.Collections.Immutable;

namespace DindBuild.Compose;

/// <summary>One service of the stack as <c>docker compose config</c> resolved it.</summary>
internal sealed record ComposeService(string Name)
{
    /// <summary>The <c>image:</c> it names; for a service with <see cref="Build"/>, the tag the build gets.</summary>
    public string? Image { get; init; }

    public ComposeBuild? Build { get; init; }

    /// <summary>The services it waits for, each with its <c>condition</c> (service_started, service_healthy, service_completed_successfully).</summary>
    public ImmutableDictionary<string, string> DependsOn { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>It has a healthcheck that is not disabled.</summary>
    public bool HasHealthcheck { get; init; }

    /// <summary>Its bind mounts' sources, absolute paths in the daemon's filesystem.</summary>
    public ImmutableArray<string> BindSources { get; init; } = [];

    /// <summary>The image compose runs: the given <c>image:</c>, else for a built service <c>PROJECT-SERVICE</c>, as compose names it.</summary>
    public string ImageFor(string project) => Image ?? $"{project}-{Name}";
}

/// <summary>A service's <c>build:</c>: the context directory (absolute), the Dockerfile (relative to it), target and args.</summary>
internal sealed record ComposeBuild(string Context, string Dockerfile)
{
    public string? Target { get; init; }

    public ImmutableDictionary<string, string> Args { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Equal for builds that make the same image (the record's own equality compares <see cref="Args"/> by reference).</summary>
    public string Key => string.Join('\n', [Context, Dockerfile, Target ?? "", .. Args.OrderBy(arg => arg.Key, StringComparer.Ordinal).Select(arg => $"{arg.Key}={arg.Value}")]);
}
