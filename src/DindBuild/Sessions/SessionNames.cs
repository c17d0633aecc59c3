namespace DindBuild.Sessions;

/// <summary>
/// Every name derived from a session id, in one place: the teardown, the reaper, the docker context
/// and the tests must agree on them, and a second spelling somewhere would leak a resource.
/// </summary>
public static class SessionNames
{
    /// <summary>Where a container finds "its" daemon, and where the host engine's socket usually is.</summary>
    public const string DockerSocketPath = Docker.DockerEndpoint.DefaultUnixSocketPath;

    /// <summary>The DinD container, and its hostname.</summary>
    public static string DindContainer(string sessionId) => $"dindbuild-{sessionId}";

    /// <summary>The DinD container's own network on the host engine.</summary>
    public static string Network(string sessionId) => $"dindbuild-{sessionId}";

    /// <summary>The DinD daemon's ephemeral data root, when it is a volume.</summary>
    public static string DataVolume(string sessionId) => $"dindbuild-{sessionId}-data";

    /// <summary>
    /// dood, external: an empty labelled volume made by StartDaemon, so that a session on a daemon it
    /// does not own has something there from its start — by which the reaper finds it, and by whose
    /// absence (with the rest) a saved session is known to be gone.
    /// </summary>
    public static string SessionAnchor(string sessionId) => $"dindbuild-{sessionId}-session";

    public static string TestContainer(string sessionId) => $"dindbuild-{sessionId}-tests";

    /// <summary>The volume mounted at the artifacts path of the test container.</summary>
    public static string ArtifactsVolume(string sessionId) => $"dindbuild-{sessionId}-artifacts";

    /// <summary>The docker CLI context a kept DinD session gets: <c>docker --context dindbuild-ID …</c>.</summary>
    public static string DockerContext(string sessionId) => $"dindbuild-{sessionId}";

    /// <summary>The session's private directory on the build host (0700): the daemon's socket and the client certificates.</summary>
    public static string PrivateDirectory(string sessionId) => Path.Combine(Path.GetTempPath(), $"dindbuild-{sessionId}");

    /// <summary>The socket policy proxy's socket, in the private directory, while RunTests runs.</summary>
    public static string PolicySocket(string sessionId) => Path.Combine(PrivateDirectory(sessionId), "proxy.sock");
}
