namespace DindBuild.ImageBuild.BuildKit;

/// <summary>
/// One <c>moby.buildkit.v1.StatusResponse</c>: what changed in the build since the last one. A vertex is a step
/// (<c>[build 2/5] RUN dotnet restore</c>, <c>[internal] load metadata for …</c>); it is sent again on each change.
/// </summary>
internal sealed record BuildStatus(
    IReadOnlyList<BuildVertex> Vertexes,
    IReadOnlyList<BuildVertexStatus> Statuses,
    IReadOnlyList<BuildVertexLog> Logs,
    IReadOnlyList<BuildWarning> Warnings);

/// <summary>A step: started and completed are set once it has; a cached step completes without running.</summary>
internal sealed record BuildVertex(string Digest, string Name, bool Cached, DateTimeOffset? Started, DateTimeOffset? Completed, string? Error);

/// <summary>A sub-task of a step (a layer being pulled, "writing image sha256:…"), with a byte count where it has one.</summary>
internal sealed record BuildVertexStatus(string Id, string Vertex, string Name, long Current, long Total, DateTimeOffset? Completed);

/// <summary>Output of a step: <paramref name="Stream"/> 1 is stdout, 2 stderr; the data is not split into lines.</summary>
internal sealed record BuildVertexLog(string Vertex, long Stream, byte[] Data);

/// <summary>A warning of the Dockerfile frontend (a lint rule, a deprecated form), at a Dockerfile line when it names one.</summary>
internal sealed record BuildWarning(string Vertex, string Short, string? Url, int? Line);
