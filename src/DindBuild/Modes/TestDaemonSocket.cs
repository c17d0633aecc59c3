namespace DindBuild.Modes;

/// <summary>
/// What the test container gets at /var/run/docker.sock: <see cref="Source"/>, a path as the session
/// daemon resolves it (null for no socket), and whether the run fails when it cannot be mounted.
/// </summary>
public sealed record TestDaemonSocket(string? Source, bool Required)
{
    /// <summary>The socket policy proxy that serves <see cref="Source"/>, when the tests' socket goes through one.</summary>
    public SocketPolicyPlacement? Policy { get; init; }

    /// <summary>Said once, as a warning, before the tests run: why they get no socket, or an unfiltered one.</summary>
    public string? Warning { get; init; }

    /// <summary>Said with the daemon's reason when <see cref="Source"/> cannot be mounted and the tests run without a socket.</summary>
    public string? WithoutSocket { get; init; }
}

/// <summary>Where the socket policy proxy listens on the build host, and the session daemon's socket it forwards to.</summary>
public sealed record SocketPolicyPlacement(string ListenPath, string DaemonSocketPath);
