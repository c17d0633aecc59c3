using System.Text;
using System.Text.Json.Nodes;
using DindBuild.Sessions;

namespace DindBuild.SocketPolicy;

/// <summary>
/// The strict socket policy for one session: which requests are refused, and how the bodies of the
/// few inspected endpoints are rewritten before they reach the daemon (the session's labels on
/// every container, volume and network a test creates; daemon-socket binds pointed at the policy socket).
/// </summary>
/// <param name="sessionId">Labels what the tests create, so that teardown removes it.</param>
/// <param name="owner">The build process, for the reaper.</param>
/// <param name="policySocket">The policy socket's path as the daemon resolves it, given to binds of the daemon's socket; null for none.</param>
/// <param name="volumeExists">Whether the daemon already has a volume of this name (one that must keep its own labels).</param>
internal sealed class RequestPolicy(string sessionId, string owner, string? policySocket, Func<string, CancellationToken, Task<bool>> volumeExists)
{
    /// <summary>Inspected bodies are read whole; real ones are a few KiB.</summary>
    public const int BodyLimit = 1 << 20;

    public const string Role = "test-created";

    public const string Prefix = "DindBuild socket policy: ";

    public const string Relax = "relax with --socket-policy permissive";

    /// <summary>The refusal as the daemon would word an error: what the docker CLI and Testcontainers print.</summary>
    public static string Message(string rules) => Prefix + rules + "; " + Relax;

    /// <summary>Whether the body must be read and inspected (the others are forwarded as they come).</summary>
    public static bool ReadsBody(ApiRoute route, BodyFraming framing) => route.Inspection switch
    {
        Inspection.None or Inspection.Build or Inspection.Refused => false,
        Inspection.ContainerStart => framing.Kind != BodyFramingKind.None,
        _ => true,
    };

    /// <summary>Refuses what the head alone decides: cluster and plugin endpoints, and build options that reach the host.</summary>
    public static void CheckHead(ApiRoute route, HttpHead head)
    {
        if (route.Inspection == Inspection.Refused)
        {
            throw new PolicyRefusedException(route.RefusedRule!);
        }

        if (route.Inspection != Inspection.Build)
        {
            return;
        }

        // Go's server also reads form values from a form body: the build options could hide there.
        var type = head.Values("Content-Type").FirstOrDefault()?.Split(';')[0].Trim() ?? "";
        if (type.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) || type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new PolicyRefusedException($"POST /build with a {type} body: build options are taken from the query only");
        }

        var refusals = new List<string>();
        if (route.QueryValues("networkmode").Any(mode => mode.Trim().Equals("host", StringComparison.OrdinalIgnoreCase)))
        {
            refusals.Add("POST /build networkmode=host: the host's namespaces are not allowed");
        }

        if (route.QueryValues("cgroupparent").Any(parent => parent.Length > 0))
        {
            refusals.Add("POST /build cgroupparent: a cgroup outside the daemon's is not allowed");
        }

        ThrowIfAny(refusals);
    }

    /// <summary>The body to forward instead of <paramref name="body"/>; a <see cref="PolicyRefusedException"/> naming every rule it breaks.</summary>
    public async Task<byte[]> InspectAsync(ApiRoute route, byte[] body, CancellationToken cancellationToken)
    {
        // Some clients send an empty JSON value with a start request; the daemon reads nothing from it.
        if (route.Inspection == Inspection.ContainerStart && Encoding.UTF8.GetString(body).Trim() is "" or "null" or "{}")
        {
            return body;
        }

        var request = ApiJson.ParseObject(body);
        var refusals = new List<string>();
        var labels = SessionLabels.For(sessionId, Role, owner);
        switch (route.Inspection)
        {
            case Inspection.ContainerCreate:
                ContainerRules.Check(request, "", policySocket, labels, refusals);
                if (ApiJson.Object(ApiJson.Field(request, "HostConfig", ""), "HostConfig") is { } hostConfig)
                {
                    ContainerRules.Check(hostConfig, "HostConfig.", policySocket, labels, refusals);
                }

                SessionLabelling.Merge(request, labels, "");
                break;
            case Inspection.ContainerStart:
                ContainerRules.Check(request, "", policySocket, labels, refusals);
                break;
            case Inspection.ContainerUpdate:
                foreach (var field in new[] { "Devices", "DeviceRequests", "DeviceCgroupRules", "CgroupParent" }.Where(field => ApiJson.HasItems(ApiJson.Field(request, field, ""))))
                {
                    refusals.Add($"{field}: host devices and foreign cgroups are not allowed");
                }

                break;
            case Inspection.ExecCreate:
                if (ApiJson.IsTrue(ApiJson.Field(request, "Privileged", ""), "Privileged"))
                {
                    refusals.Add("exec Privileged: privileged processes are not allowed");
                }

                break;
            case Inspection.VolumeCreate:
                await VolumeAsync(request, labels, refusals, cancellationToken).ConfigureAwait(false);
                break;
            case Inspection.NetworkCreate:
                SessionLabelling.Merge(request, labels, "");
                break;
            default:
                throw new InvalidOperationException($"{route.Inspection} has no body to inspect");
        }

        ThrowIfAny(refusals);
        return Encoding.UTF8.GetBytes(request.ToJsonString());
    }

    /// <summary>
    /// Creating a volume that exists returns it unchanged, so a test could otherwise have one of the
    /// host's volumes labelled with the session — and teardown would remove it. Such a request goes
    /// on without the labels.
    /// </summary>
    private async Task VolumeAsync(JsonObject request, IReadOnlyDictionary<string, string> labels, List<string> refusals, CancellationToken cancellationToken)
    {
        if (ApiJson.String(ApiJson.Field(request, "Driver", ""), "Driver") is { Length: > 0 } driver && driver != "local")
        {
            refusals.Add($"Driver {HttpHead.Printable(driver)}: only the local volume driver is allowed");
        }

        if (ApiJson.HasItems(ApiJson.Field(request, "DriverOpts", "")))
        {
            refusals.Add("DriverOpts: volume driver options are not allowed (type=none,o=bind,device=/ mounts the host's root)");
        }

        if (ApiJson.HasItems(ApiJson.Field(request, "ClusterVolumeSpec", "")))
        {
            refusals.Add("ClusterVolumeSpec: cluster volumes are not allowed");
        }

        if (refusals.Count > 0)
        {
            return;
        }

        var name = ApiJson.String(ApiJson.Field(request, "Name", ""), "Name");
        if (name is not { Length: > 0 } || !await volumeExists(name, cancellationToken).ConfigureAwait(false))
        {
            SessionLabelling.Merge(request, labels, "");
        }
    }

    private static void ThrowIfAny(List<string> refusals)
    {
        if (refusals.Count > 0)
        {
            const int Shown = 8;
            var rules = string.Join("; ", refusals.Take(Shown)) + (refusals.Count > Shown ? $"; and {refusals.Count - Shown} more" : "");
            throw new PolicyRefusedException(rules);
        }
    }
}
