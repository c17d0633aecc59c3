using System.Text;
using System.Text.Json.Nodes;
using DindBuild.Sessions;

namespace DindBuild.SocketPolicy;

/// <summary>
/// The strict socket policy for one session: which requests are refused, and how the few inspected
/// ones are rewritten before they reach the daemon (the session's labels on every container, volume,
/// network and image a test creates; daemon-socket binds pointed at the policy socket; objects named by
/// the ids that were checked; lists and prunes limited to the session's objects).
/// </summary>
/// <param name="sessionId">Labels what the tests create, so that teardown removes it; the only objects they may use.</param>
/// <param name="owner">The build process, for the reaper.</param>
/// <param name="policySocket">The policy socket's path as the daemon resolves it, given to binds of the daemon's socket; null for none.</param>
/// <param name="daemon">Where the policy asks whose an object is.</param>
internal sealed class RequestPolicy(string sessionId, string owner, string? policySocket, IDaemonQueries daemon)
{
    /// <summary>Inspected bodies are read whole; real ones are a few KiB.</summary>
    public const int BodyLimit = 1 << 20;

    public const string Role = "test-created";

    public const string Prefix = "DindBuild socket policy: ";

    public const string Relax = "relax with --socket-policy permissive";

    private readonly SessionObjects _objects = new(sessionId, daemon);

    private OwnershipRules Ownership => new(_objects, daemon);

    /// <summary>The refusal as the daemon would word an error: what the docker CLI and Testcontainers print.</summary>
    public static string Message(string rules) => Prefix + rules + "; " + Relax;

    /// <summary>Whether the body must be read and inspected (the others are forwarded as they come).</summary>
    public static bool ReadsBody(ApiRoute route, BodyFraming framing) => route.Inspection switch
    {
        Inspection.None or Inspection.Build or Inspection.Refused => false,
        Inspection.ContainerStart => framing.Kind != BodyFramingKind.None,
        _ => true,
    };

    /// <summary>
    /// Refuses what the head decides (<see cref="HeadRules"/>, and objects that are not the session's);
    /// the target to send instead of the request's, or null to send it unchanged.
    /// </summary>
    public async Task<string?> CheckHeadAsync(ApiRoute route, HttpHead head, CancellationToken cancellationToken)
    {
        HeadRules.Check(route, head);
        return await Ownership.TargetAsync(route, head.First, Labels, cancellationToken).ConfigureAwait(false);
    }

    private IReadOnlyDictionary<string, string> Labels => SessionLabels.For(sessionId, Role, owner);

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
        var labels = Labels;
        switch (route.Inspection)
        {
            case Inspection.ContainerCreate:
                ContainerRules.Check(request, "", policySocket, labels, refusals);
                var hostConfig = ApiJson.Object(ApiJson.Field(request, "HostConfig", ""), "HostConfig");
                if (hostConfig is not null)
                {
                    ContainerRules.Check(hostConfig, "HostConfig.", policySocket, labels, refusals);
                }

                // Only a create that breaks no rule asks the daemon about the objects it names (and creates its volumes).
                ThrowIfAny(refusals);
                await Ownership.CheckCreateAsync(request, hostConfig, labels, cancellationToken).ConfigureAwait(false);
                SessionLabelling.Merge(request, labels, "");
                break;
            case Inspection.ContainerStart:
                // Docker 20.10 still reads a HostConfig from the start body of API versions below 1.24.
                ContainerRules.Check(request, "", policySocket, labels, refusals);
                ThrowIfAny(refusals);
                await Ownership.CheckCreateAsync(request, null, labels, cancellationToken).ConfigureAwait(false);
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
            case Inspection.NetworkConnect:
                await Ownership.CheckConnectAsync(request, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"{route.Inspection} has no body to inspect");
        }

        ThrowIfAny(refusals);
        return Encoding.UTF8.GetBytes(request.ToJsonString());
    }

    /// <summary>A refusal naming every rule in <paramref name="refusals"/> (the first few), counted under <paramref name="rule"/> (by default the first one's field).</summary>
    public static void ThrowIfAny(List<string> refusals, string? rule = null)
    {
        if (refusals.Count > 0)
        {
            const int Shown = 8;
            var rules = string.Join("; ", refusals.Take(Shown)) + (refusals.Count > Shown ? $"; and {refusals.Count - Shown} more" : "");
            throw new PolicyRefusedException(rules, rule ?? PolicyRefusedException.RuleOf(refusals[0]));
        }
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
        if (name is not { Length: > 0 } || !await ExistsAsync(name, cancellationToken).ConfigureAwait(false))
        {
            SessionLabelling.Merge(request, labels, "");
        }
    }

    /// <summary>When the daemon cannot tell, the answer is yes: the volume then goes unlabelled, where a wrong "no" could have teardown remove a volume that was never the session's.</summary>
    private async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await _objects.LookUpAsync(ObjectKind.Volume, name, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PolicyAnswerException ex) when (ex.Answer.Status == 404)
        {
            return false;
        }
        catch (PolicyRefusedException)
        {
            return true;
        }
    }
}
