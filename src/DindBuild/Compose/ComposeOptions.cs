using System.Collections.Immutable;

namespace DindBuild.Compose;

/// <summary>
/// <c>--compose-file</c>, <c>--compose-profile</c>, <c>--compose-service</c>: the tests run as a Docker Compose stack in
/// the session daemon, and <see cref="TestService"/>'s exit code decides the run. No files: the single test container.
/// </summary>
public sealed record ComposeOptions
{
    /// <summary>The service whose exit code decides, unless <c>--compose-service</c> names another.</summary>
    public const string DefaultTestService = "tests";

    /// <summary>The compose files, absolute, in the order given (later ones override earlier ones, as with <c>docker compose -f</c>).</summary>
    public ImmutableArray<string> Files { get; init; } = [];

    public ImmutableArray<string> Profiles { get; init; } = [];

    public string TestService { get; init; } = DefaultTestService;

    public bool Enabled => !Files.IsEmpty;

    public ComposeOptions WithFile(string absolutePath) => Files.Contains(absolutePath) ? this : this with { Files = Files.Add(absolutePath) };

    public ComposeOptions WithProfile(string profile) => Profiles.Contains(profile) ? this : this with { Profiles = Profiles.Add(profile) };

    public ComposeOptions WithTestService(string service) => this with { TestService = service };
}
