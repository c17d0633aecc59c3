namespace DindBuild.Settings;

/// <summary>What the Docker socket handed to the test container lets the tests do.</summary>
public enum TestSocketPolicy
{
    /// <summary>
    /// Through DindBuild's socket policy proxy: privileged or host-reaching containers are refused,
    /// everything the tests create is labelled with the session; where the proxy cannot be placed, no socket.
    /// </summary>
    Strict,

    /// <summary>The session daemon's raw socket: root in that daemon, and through it (dood; dind's profiles) on the host.</summary>
    Permissive,
}
