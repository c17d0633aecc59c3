namespace DindBuild.Images;

/// <summary>An image a run needs that seeding could not put into the session daemon, and where it was looked for.</summary>
/// <param name="Image">The name, as the Dockerfile or <c>--seed-image</c> gives it.</param>
/// <param name="LookedIn">Where it was looked for and why each place did not have it, e.g. "not on the host engine at unix:///var/run/docker.sock".</param>
public sealed record MissingImage(string Image, string LookedIn);
