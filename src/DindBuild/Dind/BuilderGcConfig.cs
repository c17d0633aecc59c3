using System.Globalization;
using Serilog;

namespace DindBuild.Dind;

/// <summary>
/// BuildKit's garbage collection for a daemon on the cache volume. Docker 26 (the DinD image's) collects nothing
/// unless <c>builder.gc</c> is configured (moby/moby#49826), so a cache volume's build cache would only grow. The
/// setting lives in dockerd's config file alone (no flag): written into the private directory, which the container
/// mounts, and named with <c>dockerd --config-file</c>. dockerd's default policy under that size: cache mounts, build
/// contexts and git checkouts unused for 48 h go first once they pass ~14 % of it, then anything unused for 60 days,
/// then the oldest until the cache is under it.
/// </summary>
internal static class BuilderGcConfig
{
    public const string FileName = "daemon.json";

    public const string ConfigFileFlag = "--config-file";

    /// <summary>The file's text: <c>{"builder":{"gc":{"enabled":true,"defaultKeepStorage":"BYTES"}}}</c>.</summary>
    public static string Json(long keepBytes) =>
        "{\"builder\":{\"gc\":{\"enabled\":true,\"defaultKeepStorage\":\"" + keepBytes.ToString(CultureInfo.InvariantCulture) + "\"}}}";

    /// <summary>
    /// Writes the file into <paramref name="socketDirectory"/> and returns the dockerd flags with it named; when the
    /// flags already name a config file, that file decides and the flags are returned as they are.
    /// </summary>
    public static IReadOnlyList<string> Apply(string socketDirectory, long keepBytes, IReadOnlyList<string> daemonArguments, ILogger log)
    {
        if (daemonArguments.Any(argument => argument == ConfigFileFlag || argument.StartsWith(ConfigFileFlag + "=", StringComparison.Ordinal)))
        {
            log.Warning("'--daemon-arg {Flag}' names dockerd's config file: its builder.gc decides how large BuildKit's cache in the cache volume grows, not '--cache-max-size'", ConfigFileFlag);
            return daemonArguments;
        }

        File.WriteAllText(Path.Combine(socketDirectory, FileName), Json(keepBytes));
        log.Debug("BuildKit's cache on the cache volume is collected down to {Bytes} bytes ({File})", keepBytes, FileName);
        return [$"{ConfigFileFlag}={DindDaemon.SocketDirectoryInContainer}/{FileName}", .. daemonArguments];
    }
}
