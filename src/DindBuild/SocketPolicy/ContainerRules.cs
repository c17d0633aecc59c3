using System.Text.Json.Nodes;
using DindBuild.Dind;

namespace DindBuild.SocketPolicy;

/// <summary>
/// What a container created through the policy socket may not have: each rule is a way out of the
/// container onto the daemon's host (dood: the build host; dind: the DinD container, which the
/// privileged and capabilities profiles make the host's root too). Applied to a create request's
/// HostConfig and to its top level, where old API versions read HostConfig fields, and to the body
/// of a start request (old API versions take a HostConfig there).
/// </summary>
internal static class ContainerRules
{
    /// <summary>
    /// Where tests usually find the daemon; a bind of one of these (Testcontainers' Ryuk asks for
    /// /var/run/docker.sock) is given the policy socket instead, never the daemon's own.
    /// </summary>
    public static readonly IReadOnlyList<string> DaemonSocketPaths = ["/var/run/docker.sock", "/run/docker.sock"];

    private static readonly string[] HostNamespaces = ["PidMode", "NetworkMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode"];

    private static readonly string[] DeviceFields = ["Devices", "DeviceRequests", "DeviceCgroupRules"];

    /// <summary>Mount types that bring nothing of the host: a named or anonymous volume, a tmpfs, an image.</summary>
    private static readonly string[] HostlessMountTypes = ["volume", "tmpfs", "image"];

    /// <summary>Adds a refusal per rule <paramref name="config"/> breaks; rewrites daemon-socket binds to <paramref name="policySocket"/> and labels implicitly created volumes.</summary>
    public static void Check(JsonObject config, string at, string? policySocket, IReadOnlyDictionary<string, string> volumeLabels, List<string> refusals)
    {
        if (ApiJson.IsTrue(ApiJson.Field(config, "Privileged", at), at + "Privileged"))
        {
            refusals.Add($"{at}Privileged: privileged containers are not allowed");
        }

        var capabilities = ApiJson.Strings(ApiJson.Field(config, "CapAdd", at), at + "CapAdd").Where(cap => !IsDefaultCapability(cap)).ToList();
        if (capabilities.Count > 0)
        {
            refusals.Add($"{at}CapAdd {string.Join(",", capabilities.Select(HttpHead.Printable))}: only Docker's default capabilities are allowed");
        }

        foreach (var option in ApiJson.Strings(ApiJson.Field(config, "SecurityOpt", at), at + "SecurityOpt").Where(option => !IsAllowedSecurityOption(option)))
        {
            refusals.Add($"{at}SecurityOpt {HttpHead.Printable(option)}: seccomp, AppArmor, SELinux and system paths stay confined");
        }

        foreach (var paths in new[] { "MaskedPaths", "ReadonlyPaths" }.Where(field => ApiJson.Field(config, field, at) is not null))
        {
            refusals.Add($"{at}{paths}: /proc and /sys keep Docker's masked and read-only paths (this is what systempaths=unconfined sends)");
        }

        foreach (var mode in HostNamespaces)
        {
            if (string.Equals(ApiJson.String(ApiJson.Field(config, mode, at), at + mode)?.Trim(), "host", StringComparison.OrdinalIgnoreCase))
            {
                refusals.Add($"{at}{mode}=host: the host's namespaces are not allowed");
            }
        }

        foreach (var devices in DeviceFields.Where(field => ApiJson.HasItems(ApiJson.Field(config, field, at))))
        {
            refusals.Add($"{at}{devices}: host devices are not allowed");
        }

        if (ApiJson.HasItems(ApiJson.Field(config, "CgroupParent", at)))
        {
            refusals.Add($"{at}CgroupParent: a cgroup outside the daemon's is not allowed");
        }

        if (ApiJson.String(ApiJson.Field(config, "VolumeDriver", at), at + "VolumeDriver") is { Length: > 0 } driver && driver != "local")
        {
            refusals.Add($"{at}VolumeDriver {HttpHead.Printable(driver)}: only the local volume driver is allowed");
        }

        CheckBinds(config, at, policySocket, refusals);
        CheckMounts(config, at, policySocket, volumeLabels, refusals);
    }

    /// <summary>CAP_SYS_ADMIN, sys_admin and SYS_ADMIN are one capability to the daemon; ALL and anything unknown are refused.</summary>
    public static bool IsDefaultCapability(string capability)
    {
        var name = capability.Trim().ToUpperInvariant();
        name = name.StartsWith("CAP_", StringComparison.Ordinal) ? name[4..] : name;
        return LinuxCapabilities.DockerDefaults.Contains(name);
    }

    /// <summary>
    /// Only options that keep a confinement on: no-new-privileges, the built-in seccomp profile, the
    /// docker-default AppArmor profile, and SELinux user/role/level labels. A custom seccomp profile
    /// can allow everything, another AppArmor profile may be the host's unconfined one, and SELinux's
    /// "disable" and "type:" (spc_t) leave the container unconfined.
    /// </summary>
    public static bool IsAllowedSecurityOption(string option)
    {
        // The daemon splits at '=', and at ':' in the legacy spelling (seccomp:unconfined).
        var separator = option.IndexOf('=', StringComparison.Ordinal) is var equals and >= 0 ? equals : option.IndexOf(':', StringComparison.Ordinal);
        var key = separator < 0 ? option : option[..separator];
        var value = separator < 0 ? null : option[(separator + 1)..];
        return key switch
        {
            "no-new-privileges" => true,
            "seccomp" => value == "builtin",
            "apparmor" => value == "docker-default",
            "label" => value is not null && (value.StartsWith("user:", StringComparison.Ordinal) || value.StartsWith("role:", StringComparison.Ordinal) || value.StartsWith("level:", StringComparison.Ordinal)),
            _ => false,
        };
    }

    /// <summary>
    /// No host path at all, not only a list of dangerous ones: a test that may bind any directory it
    /// can write to puts a symlink to / there and binds that (the daemon follows it), so a list of
    /// forbidden paths protects nothing. Named and anonymous volumes are fine.
    /// </summary>
    private static void CheckBinds(JsonObject config, string at, string? policySocket, List<string> refusals)
    {
        var binds = ApiJson.Array(ApiJson.Field(config, "Binds", at), at + "Binds");
        if (binds is null)
        {
            return;
        }

        for (var i = 0; i < binds.Count; i++)
        {
            var bind = ApiJson.String(binds[i], at + "Binds") ?? "";
            var parts = bind.Split(':');

            // "/data" alone is an anonymous volume at /data; "name:/data" a named volume.
            if (parts.Length < 2 || !parts[0].StartsWith('/'))
            {
                continue;
            }

            if (Redirect(parts[0], policySocket) is { } socket)
            {
                binds[i] = string.Join(':', [socket, .. parts[1..]]);
                continue;
            }

            refusals.Add($"{at}Binds {HttpHead.Printable(bind)}: host paths cannot be mounted (named volumes can)");
        }
    }

    private static void CheckMounts(JsonObject config, string at, string? policySocket, IReadOnlyDictionary<string, string> volumeLabels, List<string> refusals)
    {
        var mounts = ApiJson.Array(ApiJson.Field(config, "Mounts", at), at + "Mounts");
        foreach (var item in mounts ?? [])
        {
            var mount = ApiJson.Object(item, at + "Mounts") ?? throw new PolicyRefusedException($"{at}Mounts holds null");
            var where = at + "Mounts.";
            var type = ApiJson.String(ApiJson.Field(mount, "Type", where), where + "Type") ?? "";
            var source = ApiJson.String(ApiJson.Field(mount, "Source", where), where + "Source") ?? "";
            if (type.Equals("bind", StringComparison.OrdinalIgnoreCase) && Redirect(source, policySocket) is { } socket)
            {
                mount[ApiJson.Keys(mount, "Source")[0]] = socket;
                continue;
            }

            if (!HostlessMountTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
            {
                refusals.Add($"{where}Type {HttpHead.Printable(type)} {HttpHead.Printable(source)}: host paths cannot be mounted (volume, tmpfs and image mounts can)");
                continue;
            }

            if (type.Equals("volume", StringComparison.OrdinalIgnoreCase))
            {
                LabelVolume(mount, where, volumeLabels, refusals);
            }
        }
    }

    /// <summary>
    /// A volume the mount creates gets the session's labels, so teardown finds it (the daemon applies
    /// them only when it creates the volume: an existing one keeps its own). Driver options are refused:
    /// the local driver's type=none,o=bind,device=/ is a bind mount of the host's root.
    /// </summary>
    private static void LabelVolume(JsonObject mount, string where, IReadOnlyDictionary<string, string> volumeLabels, List<string> refusals)
    {
        var optionsKey = ApiJson.Keys(mount, "VolumeOptions").SingleOrDefault();
        var options = ApiJson.Object(ApiJson.Field(mount, "VolumeOptions", where), where + "VolumeOptions");
        if (options is null)
        {
            options = [];
            mount[optionsKey ?? "VolumeOptions"] = options;
        }

        var driver = ApiJson.Object(ApiJson.Field(options, "DriverConfig", where + "VolumeOptions."), where + "VolumeOptions.DriverConfig");
        if (driver is not null)
        {
            var name = ApiJson.String(ApiJson.Field(driver, "Name", where), where + "DriverConfig.Name");
            if ((name is { Length: > 0 } && name != "local") || ApiJson.HasItems(ApiJson.Field(driver, "Options", where)))
            {
                refusals.Add($"{where}VolumeOptions.DriverConfig: volume drivers and driver options are not allowed (they can mount host paths and devices)");
            }
        }

        SessionLabelling.Merge(options, volumeLabels, where + "VolumeOptions.");
    }

    private static string? Redirect(string source, string? policySocket)
    {
        var path = "/" + string.Join('/', source.Split('/', StringSplitOptions.RemoveEmptyEntries));
        return policySocket is not null && (DaemonSocketPaths.Contains(path) || path == policySocket) ? policySocket : null;
    }
}
