namespace DindBuild.Settings;

/// <summary>Whether a <c>dind</c> run seeds its daemon from a seed snapshot (made on the first run with a set of base images) or streams the images every run.</summary>
public enum SeedSnapshotChoice
{
    /// <summary>Copy the snapshot of the run's images into the data root before dockerd starts; make it first when there is none.</summary>
    On,

    /// <summary>Stream every image with <c>docker save | docker load</c> at SeedImages, as before snapshots: none is made or used.</summary>
    Off,
}
