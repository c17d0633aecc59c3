namespace DindBuild.Settings;

/// <summary>
/// Whether a <c>dind</c> run whose build took long keeps its daemon's data root — base images, build cache, the built
/// image — as a build snapshot, which this repository's next run starts from instead of the seed snapshot.
/// </summary>
public enum BuildSnapshotChoice
{
    /// <summary>Save one at teardown after a build of <see cref="Images.Snapshots.BuildSnapshotStore.WorthSaving"/> or more; start from the newest.</summary>
    On,

    /// <summary>Every run builds in a daemon holding only its base images: none is saved or used.</summary>
    Off,
}
