namespace DindBuild.Settings;

/// <summary>How much of the host the DinD container is given.</summary>
public enum PrivilegeProfile
{
    /// <summary><c>privileged</c>, falling back to <c>capabilities</c> when the runtime refuses it.</summary>
    Auto,

    /// <summary><c>docker run --privileged</c>, as the docker:dind image documents.</summary>
    Privileged,

    /// <summary>Every capability the host can grant, seccomp/AppArmor/system paths unconfined, no device access beyond the default.</summary>
    Capabilities,

    /// <summary>No extra privileges at all: a runtime such as sysbox-runc makes the container a safe Docker host.</summary>
    Sysbox,
}
