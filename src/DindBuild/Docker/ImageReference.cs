namespace DindBuild.Docker;

/// <summary>An image name split as the Engine API wants it: repository, and tag or digest.</summary>
internal sealed record ImageReference(string Repository, string TagOrDigest)
{
    public static ImageReference Parse(string name)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            return new ImageReference(name[..at], name[(at + 1)..]);
        }

        // A colon before the last slash belongs to a registry port (localhost:5000/app), not a tag.
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? new ImageReference(name[..colon], name[(colon + 1)..]) : new ImageReference(name, "latest");
    }

    public override string ToString() => TagOrDigest.Contains(':', StringComparison.Ordinal) ? $"{Repository}@{TagOrDigest}" : $"{Repository}:{TagOrDigest}";
}
