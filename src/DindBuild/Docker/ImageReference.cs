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

    /// <summary>The registry host a push or pull of this repository goes to, as docker decides: docker.io unless the first component looks like a host.</summary>
    public string Registry =>
        Repository.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 && Repository[..slash] is var first
            && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            ? first
            : "docker.io";

    public override string ToString() => TagOrDigest.Contains(':', StringComparison.Ordinal) ? $"{Repository}@{TagOrDigest}" : $"{Repository}:{TagOrDigest}";
}
