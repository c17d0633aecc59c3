namespace DindBuild.Docker;

/// <summary>One line of <c>docker push</c>'s answer: a layer's status and, while it uploads, how far.</summary>
/// <param name="Layer">The layer's short id; null for lines about the whole push (the final digest line).</param>
/// <param name="Status">The daemon's text ("Pushing", "Pushed", "Layer already exists", …): hostile, escape before showing.</param>
/// <param name="Current">Bytes of the layer sent so far (uncompressed, as the daemon counts them), while it uploads.</param>
/// <param name="Total">The layer's size in the same unit, when the daemon says it.</param>
public sealed record PushStatus(string? Layer, string Status, long? Current, long? Total);
