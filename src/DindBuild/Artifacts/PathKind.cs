namespace DindBuild.Artifacts;

/// <summary>What is at a path in the destination, as seen without following a final symlink.</summary>
internal enum PathKind
{
    Missing,
    Directory,
    Symlink,
    Other,
}
