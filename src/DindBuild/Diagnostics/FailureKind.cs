namespace DindBuild.Diagnostics;

/// <summary>What kind of failure ended a run; each maps to its own process exit code.</summary>
public enum FailureKind
{
    /// <summary>The project's tests ran and failed (or timed out).</summary>
    TestsFailed,

    /// <summary>The image could not be built: a Dockerfile or build-context problem.</summary>
    BuildFailed,

    /// <summary>Engine, daemon, image provisioning or timeouts: worth a retry.</summary>
    Infrastructure,

    /// <summary>A parameter or input that can never work as given.</summary>
    BadParameters,

    /// <summary>The tests passed but PublishImage could not push, load or save the image.</summary>
    PublishFailed,
}
