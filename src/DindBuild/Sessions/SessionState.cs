using DindBuild.Dind;
using DindBuild.Reporting;
using DindBuild.Settings;

namespace DindBuild.Sessions;

/// <summary>
/// What a later build process needs to continue a session: which daemon, how to reach it, and what
/// the earlier steps produced. Saved after every step when targets run as separate CI steps.
/// </summary>
public sealed record SessionState(string SessionId, DockerMode Mode, string DockerHost, string? TlsCertificateDirectory)
{
    public DindDaemon? Daemon { get; init; }

    /// <summary>
    /// The build process running the session (<see cref="ProcessOwner.Current"/> of it), or <see cref="ProcessOwner.Kept"/>
    /// for one kept for later steps; null in states saved before it was recorded. A Teardown that names no session
    /// leaves a session a live other build is running (see <c>Hosting.BuildRun</c>).
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>
    /// The build process (<see cref="ProcessOwner.Current"/>) that saved this state last; null in states saved before it
    /// was recorded. A session kept for later steps has <see cref="ProcessOwner.Kept"/> as its <see cref="Owner"/>, so
    /// this is what tells that its StartDaemon is still running (it saves the state before it creates the network and
    /// the private directory, which another process must not take for a gone session's leftovers).
    /// </summary>
    public string? SavedBy { get; init; }

    /// <summary>The live build process of this host, other than this one, that is running the session now; null when none is.</summary>
    internal string? RunningElsewhere() =>
        new[] { Owner, SavedBy }.FirstOrDefault(process => process is not null && ProcessOwner.IsAnotherLiveProcessHere(process));

    /// <summary>The engine holding the session's labelled resources (the host engine for dind and dood).</summary>
    public string ResourceEngineHost { get; init; } = DockerHost;

    public string? ResourceEngineTlsDirectory { get; init; }

    /// <summary>
    /// dood, external: the session daemon's <c>docker info</c> ID when StartDaemon opened the session
    /// (and made its anchor volume, <see cref="SessionNames.SessionAnchor"/>); another ID at the same
    /// endpoint later means another daemon, where nothing of the session can be. Null for dind.
    /// </summary>
    public string? DaemonId { get; init; }

    public string? BuiltImageId { get; init; }

    public string? BuiltImageTag { get; init; }

    public long? BuiltImageSize { get; init; }

    public string? TestContainerId { get; init; }

    public bool? TestsPassed { get; init; }

    /// <summary>The test container whose artifacts were exported: a later ExportArtifacts step does not export them twice.</summary>
    public string? ExportedTestContainerId { get; init; }

    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The steps, resource samples and facts of the build processes so far, for the run report.</summary>
    public RunHistory History { get; init; } = RunHistory.Empty;

    /// <summary>The environment with which the docker CLI, or any client, reaches the session daemon, and the session id.</summary>
    public Dictionary<string, string> ClientEnvironment()
    {
        var environment = new Docker.DockerEndpoint(new Uri(DockerHost), TlsCertificateDirectory).ClientEnvironment();
        environment["DINDBUILD_SESSION_ID"] = SessionId;
        return environment;
    }
}
