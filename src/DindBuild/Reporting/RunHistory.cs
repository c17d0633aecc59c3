using DindBuild.Docker;
using DindBuild.Testing;

namespace DindBuild.Reporting;

/// <summary>
/// What the build processes of one session saw, saved with the session: when each target runs as its
/// own CI step, the report written by the last one (Teardown) still covers the whole session.
/// </summary>
public sealed record RunHistory
{
    public static readonly RunHistory Empty = new();

    public DateTimeOffset? Started { get; init; }

    public IReadOnlyList<RecordedStep> Steps { get; init; } = [];

    public IReadOnlyList<ResourceSample> Samples { get; init; } = [];

    /// <summary>With <c>--compose-file</c>: each service's container after RunTests (image, state, exit code, health).</summary>
    public IReadOnlyList<Compose.ComposeServiceState> ComposeServices { get; init; } = [];

    /// <summary>With <c>--compose-file</c>: <c>docker stats</c> of each service's container inside the session daemon while the tests ran.</summary>
    public IReadOnlyList<ServiceSamples> ServiceSamples { get; init; } = [];

    public string? PrivilegeProfile { get; init; }

    /// <summary>Whether the DinD daemon's containers run in a user namespace: "on", or "off (why)".</summary>
    public string? InnerUserns { get; init; }

    public string? DaemonVersion { get; init; }

    public string? StorageDriver { get; init; }

    /// <summary>The builder that built the image: <c>BuildKit</c> or <c>classic</c>.</summary>
    public string? Builder { get; init; }

    /// <summary>Where PublishImage put the image: <c>REF@sha256:…</c> per push, the host engine, an archive path.</summary>
    public IReadOnlyList<string> Published { get; init; } = [];

    /// <summary>Parsed from the JUnit and TRX reports when the artifacts were exported.</summary>
    public TestReportSummary? Tests { get; init; }

    /// <summary>The session's first failure, secrets masked; later failures are consequences more often than not.</summary>
    public string? Failure { get; init; }

    public string? FailedStep { get; init; }

    public string? DaemonLogTail { get; init; }

    /// <summary>This history followed by a later one: steps and samples appended, the later facts (compose services too) winning, the first failure kept.</summary>
    public RunHistory Then(RunHistory later) => new()
    {
        Started = Started ?? later.Started,
        Steps = [.. Steps, .. later.Steps],
        Samples = [.. Samples, .. later.Samples],
        ComposeServices = later.ComposeServices.Count > 0 ? later.ComposeServices : ComposeServices,
        ServiceSamples = [.. ServiceSamples, .. later.ServiceSamples],
        PrivilegeProfile = later.PrivilegeProfile ?? PrivilegeProfile,
        InnerUserns = later.InnerUserns ?? InnerUserns,
        DaemonVersion = later.DaemonVersion ?? DaemonVersion,
        StorageDriver = later.StorageDriver ?? StorageDriver,
        Builder = later.Builder ?? Builder,
        Published = [.. Published, .. later.Published],
        Tests = later.Tests ?? Tests,
        Failure = Failure ?? later.Failure,
        FailedStep = Failure is null ? later.FailedStep : FailedStep,
        DaemonLogTail = Failure is null ? later.DaemonLogTail : DaemonLogTail,
    };
}

/// <summary>One step of a session, with its wall-clock start so that steps of different processes line up.</summary>
public sealed record RecordedStep(string Step, DateTimeOffset Started, TimeSpan Duration, string Outcome);
