using DindBuild.Diagnostics;
using DindBuild.Settings;

namespace DindBuild.Compose;

/// <summary>Why a mode cannot run a compose stack yet, said before any daemon starts.</summary>
internal static class ComposeRefusal
{
    public static DindBuildException For(DockerMode mode, IReadOnlyList<string> files) => new(
        FailureKind.BadParameters,
        $"--compose-file needs --docker-mode dind; this run is in {mode.ToString().ToLowerInvariant()} mode, where DindBuild does not run compose stacks yet.",
        $"compose files: {string.Join(", ", files)}. In {mode.ToString().ToLowerInvariant()} mode the daemon resolves relative bind mounts in its own filesystem, which does not hold the compose project's files, and a shared daemon would need the stack's names and networks isolated from other jobs.",
        mode == DockerMode.External
            ? "add '--docker-mode dind' (DOCKER_HOST set makes auto choose external), or drop '--compose-file' and run the single test container."
            : "use '--docker-mode dind', or drop '--compose-file' and run the single test container.");
}
