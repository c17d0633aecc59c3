namespace DindBuild.Settings;

/// <summary>Which daemon the build talks to.</summary>
public enum DockerMode
{
    /// <summary><c>external</c> when <c>DOCKER_HOST</c> is set, else <c>dind</c>.</summary>
    Auto,

    /// <summary>A private daemon in a container started for this run (Docker-in-Docker).</summary>
    Dind,

    /// <summary>The host's daemon through its socket (Docker-outside-of-Docker).</summary>
    Dood,

    /// <summary>A daemon someone else started, found through <c>DOCKER_HOST</c> or the docker context.</summary>
    External,
}
