using DindBuild.Docker;

namespace DindBuild.Reporting;

/// <summary>The <c>docker stats</c> samples of one compose service's container, taken while the tests ran, for the report's per-service chart.</summary>
public sealed record ServiceSamples(string Service, IReadOnlyList<ResourceSample> Samples);
