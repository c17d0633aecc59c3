using DindBuild.Diagnostics;
using DindBuild.Modes;
using DindBuild.Provisioning;

namespace DindBuild.Sessions;

/// <summary>
/// What a build host adds to a session, each part optional: a plain xunit test or another build
/// tool gets a session that writes no files, prints no CI commands and installs nothing.
/// Immutable: change a copy with <c>with</c>.
/// </summary>
public sealed record SessionServices
{
    /// <summary>Told of steps, state changes and removal (saved sessions, CI output); nothing by default.</summary>
    public SessionListener Listener { get; init; } = SessionListener.None;

    /// <summary>How engine clients are made; null: Docker.DotNet clients, version-checked, no provisioning.</summary>
    public IEngineConnector? Engines { get; init; }

    /// <summary>Builds images this machine cannot pull (apt and debootstrap); null: images are only looked up or pulled.</summary>
    public RootfsImageBuilder? Recipes { get; init; }

    /// <summary>Where DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and DOCKER_CONFIG are read.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Secrets masked in errors; the session adds the options' secrets to it (so each session gets its own by default).</summary>
    public SecretMasker Masker { get; init; } = new();

    /// <summary>The owner label of what the session creates (<see cref="ProcessOwner"/>): this process, or <see cref="ProcessOwner.Kept"/> for a session that outlives it.</summary>
    public string Owner { get; init; } = ProcessOwner.Current;
}
