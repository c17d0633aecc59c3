using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Settings;

namespace DindBuild.ImageBuild;

/// <summary>Which builder a build uses: what <c>--builder</c> asks for, against what the session daemon has.</summary>
internal static class BuilderSelection
{
    /// <summary>The builder, and why, for the log line that says which one ran.</summary>
    public static (BuilderKind Builder, string Reason) Resolve(BuilderChoice choice, EngineVersion daemon) => choice switch
    {
        BuilderChoice.Classic => (BuilderKind.Classic, "--builder classic"),
        BuilderChoice.BuildKit when daemon.HasBuildKit => (BuilderKind.BuildKit, "--builder buildkit"),
        BuilderChoice.BuildKit => throw new DindBuildException(
            FailureKind.BadParameters,
            $"--builder buildkit: the session daemon, {daemon}, has no BuildKit.",
            "BuildKit answers POST /build?version=2 on Linux daemons from Engine 18.09 (API 1.39) on",
            "use '--builder auto' (BuildKit where the daemon has it, else classic) or '--builder classic', or a newer Linux daemon."),
        _ when daemon.HasBuildKit => (BuilderKind.BuildKit, $"auto: the session daemon, {daemon}, has it"),
        _ => (BuilderKind.Classic, $"auto: the session daemon, {daemon}, has no BuildKit"),
    };

    public static string Name(BuilderKind builder) => builder == BuilderKind.BuildKit ? "BuildKit" : "classic";
}
