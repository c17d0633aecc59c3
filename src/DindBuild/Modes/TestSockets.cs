using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>
/// The test sockets a mode can give, worded in one place. With <c>--mount-docker-socket false</c>
/// there is none; with <c>--socket-policy permissive</c> the daemon's own, said once as a warning
/// with what it exposes; otherwise the socket policy proxy's, where the mode can place it.
/// </summary>
internal static class TestSockets
{
    public const string OptIn = "'--socket-policy permissive' mounts the daemon's own socket instead, unfiltered";

    /// <summary>The daemon's own socket at <paramref name="source"/>, under the permissive policy; <paramref name="exposes"/> says what that gives the tests.</summary>
    public static TestDaemonSocket Raw(string source, bool required, string exposes) => new(source, required)
    {
        Warning = $"--socket-policy permissive: the tests get the daemon's own socket ({source}), unfiltered: {exposes}",
    };

    /// <summary>The proxy's socket, listening at <paramref name="listenPath"/> and mounted from <paramref name="source"/> as the daemon resolves it.</summary>
    public static TestDaemonSocket Proxied(string source, string listenPath, string daemonSocket, bool required) => new(source, required)
    {
        Policy = new SocketPolicyPlacement(listenPath, daemonSocket),
        WithoutSocket = $"the daemon cannot mount the socket policy's socket {source} (the build runs where the daemon does not see its files, such as a CI job container), "
            + $"so the tests run without a Docker socket; {OptIn} (root on the daemon's host)",
    };

    /// <summary>No socket, because the proxy cannot be placed where the daemon can mount it; <paramref name="why"/> says so.</summary>
    public static TestDaemonSocket Withheld(string why) => new(null, Required: true)
    {
        Warning = $"{why}, so the tests get no Docker socket; {OptIn} (root on the daemon's host)",
    };

    /// <summary>The decision every mode shares: none when the socket is not wanted, the raw one when the policy is permissive.</summary>
    public static TestDaemonSocket Choose(DindSettings options, Func<TestDaemonSocket> permissive, Func<TestDaemonSocket> strict) =>
        !options.MountDockerSocket ? new(null, Required: true)
        : options.SocketPolicy == TestSocketPolicy.Permissive ? permissive()
        : strict();
}
