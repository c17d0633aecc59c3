using DindBuild.Docker;

namespace DindBuild.Tests.Infrastructure;

/// <summary>One call a fake engine received: which engine (its DOCKER_HOST), what, and on what.</summary>
internal sealed record EngineCall(string Engine, string Operation, string Target)
{
    public override string ToString() => $"{Engine} {Operation} {Target}";
}

/// <summary>A container held by a <see cref="FakeEngine"/>; tests flip its state to play a daemon that dies.</summary>
internal sealed class FakeContainer(string id, string name, IReadOnlyDictionary<string, string> labels)
{
    public string Id { get; } = id;

    public string Name { get; } = name;

    public IReadOnlyDictionary<string, string> Labels { get; } = labels;

    public bool Running { get; set; }

    public long ExitCode { get; set; }

    public bool OomKilled { get; set; }

    public string Log { get; set; } = "";

    /// <summary>What it was created with: its volumes and bind mounts.</summary>
    public System.Collections.Immutable.ImmutableArray<MountSpec> Mounts { get; init; } = [];

    /// <summary>The named volumes it mounts.</summary>
    public IReadOnlyList<string> Volumes { get; init; } = [];

    public ContainerStatus Status => new(Id, Name, Running, ExitCode, Running ? "running" : "exited", null, OomKilled);

    /// <summary>As <c>docker kill</c> or the OOM killer would leave it.</summary>
    public void Exit(long exitCode, bool oomKilled = false)
    {
        Running = false;
        ExitCode = exitCode;
        OomKilled = oomKilled;
    }
}
