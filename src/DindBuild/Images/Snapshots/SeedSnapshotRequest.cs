using DindBuild.Settings;

namespace DindBuild.Images.Snapshots;

/// <summary>What making a seed snapshot needs from the session: its images, its DinD image and daemon flags, and where the maker's socket goes.</summary>
/// <param name="SessionId">The session the maker container is labelled with, so that teardown and the reaper find it if the run is killed.</param>
/// <param name="Images">The images the run needs (those on the host engine are snapshotted).</param>
/// <param name="DindImage">The image the session's daemon runs in: the maker's dockerd is the same.</param>
/// <param name="Profile">The session's requested privilege profile; <c>auto</c> makes with <c>capabilities</c>.</param>
/// <param name="DaemonArguments">The session's dockerd flags; those that shape the image store go to the maker too.</param>
/// <param name="SocketDirectory">A private directory on the build host for the maker daemon's socket.</param>
internal sealed record SeedSnapshotRequest(string SessionId, IReadOnlyList<string> Images, string DindImage, PrivilegeProfile Profile, IReadOnlyList<string> DaemonArguments, string SocketDirectory)
{
    public string Owner { get; init; } = Sessions.ProcessOwner.Current;

    /// <summary>The session's daemon runs its containers in a user namespace (<c>--userns-remap</c>): so does the maker's, whose image store is then the remapped one.</summary>
    public bool InnerUserns { get; init; }

    public string SysboxRuntime { get; init; } = "sysbox-runc";

    public TimeSpan DaemonStartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
