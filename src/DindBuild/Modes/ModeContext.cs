using DindBuild.Provisioning;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Modes;

/// <summary>What every mode is given: the session's options and the services of its host.</summary>
internal sealed record ModeContext(DindSettings Options, ILogger Log, IEngineConnector Engines, Func<string, string?> Environment)
{
    /// <summary>Builds images this machine cannot pull (a host-layer service); null: images are only looked up or pulled.</summary>
    public RootfsImageBuilder? Recipes { get; init; }
}
