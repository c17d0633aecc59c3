using System.Text.Json.Nodes;
using DindBuild.Sessions;

namespace DindBuild.SocketPolicy;

/// <summary>
/// The tests may use only the session's own containers, volumes and networks: in dood and external
/// mode the daemon also holds the host's (other jobs', the build's own), and exec, archive, stop,
/// remove, joining a namespace or mounting a volume would reach them. Every object a request names —
/// in its path, in <c>/commit?container=</c>, in a create's HostConfig or a network connect — is looked
/// up (<see cref="SessionObjects"/>) and, for containers and networks, sent on by the id that was
/// checked, so the name cannot be given to another object meanwhile. Lists and prunes get the
/// session's label filter. Images are shared: only removing one needs it to be the session's.
/// </summary>
internal sealed class OwnershipRules(SessionObjects objects, IDaemonQueries daemon)
{
    /// <summary>Network modes that name no user network: the daemon's own (host is ContainerRules' refusal).</summary>
    private static readonly string[] DefaultNetworks = ["", "default", "bridge", "none", "host"];

    private string LabelFilter => $"{SessionLabels.Session}={objects.SessionId}";

    /// <summary>The target to send instead of the request's, or null to send it unchanged; a refusal for an object that is not the session's.</summary>
    public async Task<string?> TargetAsync(ApiRoute route, string method, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var segments = route.Segments.ToList();
        var query = route.Query;
        var changed = false;
        var delete = method.Equals("DELETE", StringComparison.OrdinalIgnoreCase);
        if (ApiObjects.Addressed(method, segments) is { } addressed)
        {
            // The predefined networks can be inspected and joined (docker run's default bridge), never removed.
            var found = await objects.RequireOursAsync(addressed.Kind, addressed.Reference, "", addressed.Kind == ObjectKind.Network && !delete, cancellationToken).ConfigureAwait(false);
            if (delete)
            {
                objects.Forget(addressed.Kind, found.Id);
            }

            if (addressed.Kind is ObjectKind.Container or ObjectKind.Network)
            {
                segments.RemoveRange(addressed.First, addressed.Count);
                segments.Insert(addressed.First, found.Id);
                changed = true;
            }
        }
        else if (ApiObjects.Filtered(method, segments) is not null)
        {
            query = QueryRewrite.With(query, "filters", QueryRewrite.WithLabelFilter(QueryRewrite.GoValue(query, "filters"), LabelFilter));
            changed = true;
        }
        else if (segments is [var commit] && commit.Equals("commit", StringComparison.OrdinalIgnoreCase) && route.QueryValues("container").Any())
        {
            foreach (var reference in route.QueryValues("container"))
            {
                await objects.RequireOursAsync(ObjectKind.Container, reference, "commit ", false, cancellationToken).ConfigureAwait(false);
            }

            if (QueryRewrite.GoValue(query, "container") is { } container)
            {
                query = QueryRewrite.With(query, "container", (await objects.LookUpAsync(ObjectKind.Container, container, cancellationToken).ConfigureAwait(false)).Id);
                changed = true;
            }
        }

        if (route.Inspection == Inspection.Build)
        {
            // So that the session may remove the images its tests build (and no others).
            query = QueryRewrite.With(query, "labels", QueryRewrite.WithLabels(QueryRewrite.GoValue(query, "labels"), labels));
            changed = true;
        }

        return changed ? route.Target(segments, query) : null;
    }

    /// <summary>
    /// A create's references to other objects: <c>container:&lt;id&gt;</c> network, PID and IPC modes,
    /// <c>VolumesFrom</c>, <c>Links</c>, networks, and named volumes. A named volume that does not exist
    /// yet is created first, with the session's labels, so teardown removes it in every mode.
    /// </summary>
    public async Task CheckCreateAsync(JsonObject request, JsonObject? hostConfig, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var refusals = new List<string>();
        var missing = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (config, at) in new[] { (request, ""), (hostConfig, "HostConfig.") })
        {
            if (config is null)
            {
                continue;
            }

            foreach (var mode in new[] { "NetworkMode", "PidMode", "IpcMode" })
            {
                var value = ApiJson.String(ApiJson.Field(config, mode, at), at + mode) ?? "";
                if (value.StartsWith("container:", StringComparison.OrdinalIgnoreCase))
                {
                    if (await OursAsync(ObjectKind.Container, value["container:".Length..], $"{at}{mode} ", refusals, cancellationToken).ConfigureAwait(false) is { } id)
                    {
                        config[ApiJson.Keys(config, mode)[0]] = "container:" + id;
                    }
                }
                else if (mode == "NetworkMode" && !DefaultNetworks.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase))
                {
                    await OursAsync(ObjectKind.Network, value, $"{at}{mode} ", refusals, cancellationToken).ConfigureAwait(false);
                }
            }

            await RewriteEachAsync(config, at, "VolumesFrom", refusals, cancellationToken, (id, parts) => string.Join(':', [id, .. parts[1..]])).ConfigureAwait(false);
            await RewriteEachAsync(config, at, "Links", refusals, cancellationToken, (id, parts) => $"{id}:{(parts.Length > 1 ? parts[1] : parts[0].TrimStart('/'))}").ConfigureAwait(false);
            await VolumesAsync(config, at, labels, refusals, missing, cancellationToken).ConfigureAwait(false);
        }

        var networking = ApiJson.Object(ApiJson.Field(request, "NetworkingConfig", ""), "NetworkingConfig");
        var endpoints = networking is null ? null : ApiJson.Object(ApiJson.Field(networking, "EndpointsConfig", "NetworkingConfig."), "NetworkingConfig.EndpointsConfig");
        // The docker CLI names the network mode's own network, "default" included, which is no network's name.
        foreach (var network in endpoints?.Select(endpoint => endpoint.Key).Where(network => !DefaultNetworks.Contains(network.Trim(), StringComparer.OrdinalIgnoreCase)).ToList() ?? [])
        {
            await OursAsync(ObjectKind.Network, network, "NetworkingConfig.EndpointsConfig ", refusals, cancellationToken).ConfigureAwait(false);
        }

        RequestPolicy.ThrowIfAny(refusals, SessionObjects.Rule);
        foreach (var (name, volumeLabels) in missing)
        {
            await CreateVolumeAsync(name, volumeLabels, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /networks/{id}/connect</c> and <c>disconnect</c>: the container must be the session's too.</summary>
    public async Task CheckConnectAsync(JsonObject request, CancellationToken cancellationToken)
    {
        if (ApiJson.String(ApiJson.Field(request, "Container", ""), "Container") is { } container)
        {
            var found = await objects.RequireOursAsync(ObjectKind.Container, container, "Container ", false, cancellationToken).ConfigureAwait(false);
            request[ApiJson.Keys(request, "Container")[0]] = found.Id;
        }
    }

    private async Task<string?> OursAsync(ObjectKind kind, string reference, string at, List<string> refusals, CancellationToken cancellationToken)
    {
        var found = await objects.LookUpAsync(kind, reference, cancellationToken).ConfigureAwait(false);
        // Joining the predefined bridge or none is what docker run does by default; the host network is ContainerRules' refusal.
        if (found.Ours || (found.Predefined && found.Name != "host"))
        {
            return found.Id;
        }

        refusals.Add(objects.NotOurs(found, reference, at));
        return null;
    }

    /// <summary>Each entry of a string list naming a container before its first ':', replaced by the checked id.</summary>
    private async Task RewriteEachAsync(JsonObject config, string at, string field, List<string> refusals, CancellationToken cancellationToken, Func<string, string[], string> rewrite)
    {
        var list = ApiJson.Array(ApiJson.Field(config, field, at), at + field);
        for (var i = 0; i < (list?.Count ?? 0); i++)
        {
            var parts = (ApiJson.String(list![i], at + field) ?? "").Split(':', 2);
            if (await OursAsync(ObjectKind.Container, parts[0], $"{at}{field} ", refusals, cancellationToken).ConfigureAwait(false) is { } id)
            {
                list[i] = rewrite(id, parts);
            }
        }
    }

    /// <summary>Named volumes in Binds (<c>name:/path</c>) and volume Mounts with a Source: the session's, or not there yet.</summary>
    private async Task VolumesAsync(JsonObject config, string at, IReadOnlyDictionary<string, string> labels, List<string> refusals, Dictionary<string, JsonObject> missing, CancellationToken cancellationToken)
    {
        var named = new List<(string Name, string Field, JsonObject Labels)>();
        foreach (var bind in ApiJson.Array(ApiJson.Field(config, "Binds", at), at + "Binds") ?? [])
        {
            var parts = (ApiJson.String(bind, at + "Binds") ?? "").Split(':');
            if (parts.Length >= 2 && parts[0].Length > 0 && !parts[0].StartsWith('/'))
            {
                named.Add((parts[0], "Binds", new JsonObject(labels.Select(label => KeyValuePair.Create(label.Key, (JsonNode?)label.Value)))));
            }
        }

        foreach (var item in ApiJson.Array(ApiJson.Field(config, "Mounts", at), at + "Mounts") ?? [])
        {
            var mount = ApiJson.Object(item, at + "Mounts")!;
            var type = ApiJson.String(ApiJson.Field(mount, "Type", at + "Mounts."), at + "Mounts.Type") ?? "";
            var source = ApiJson.String(ApiJson.Field(mount, "Source", at + "Mounts."), at + "Mounts.Source") ?? "";
            if (type.Equals("volume", StringComparison.OrdinalIgnoreCase) && source.Length > 0)
            {
                // ContainerRules gave every volume mount VolumeOptions.Labels with the session's in them.
                var options = ApiJson.Object(ApiJson.Field(mount, "VolumeOptions", at + "Mounts."), at + "Mounts.VolumeOptions");
                var given = options is null ? null : ApiJson.Object(ApiJson.Field(options, "Labels", at + "Mounts.VolumeOptions."), at + "Mounts.VolumeOptions.Labels");
                named.Add((source, "Mounts", (JsonObject?)given?.DeepClone() ?? new JsonObject(labels.Select(label => KeyValuePair.Create(label.Key, (JsonNode?)label.Value)))));
            }
        }

        foreach (var (name, field, volumeLabels) in named)
        {
            try
            {
                var found = await objects.LookUpAsync(ObjectKind.Volume, name, cancellationToken).ConfigureAwait(false);
                if (!found.Ours)
                {
                    refusals.Add(objects.NotOurs(found, name, $"{at}{field} "));
                }
            }
            catch (PolicyAnswerException ex) when (ex.Answer.Status == 404)
            {
                missing.TryAdd(name, volumeLabels);
            }
        }
    }

    /// <summary>Creates a named volume a mount would create unlabelled; refused when someone else's appeared meanwhile (a create of an existing volume returns it).</summary>
    private async Task CreateVolumeAsync(string name, JsonObject labels, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["Name"] = name, ["Labels"] = labels }.ToJsonString();
        DaemonAnswer answer;
        try
        {
            answer = await daemon.SendAsync("POST", "/volumes/create", body, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new PolicyRefusedException($"volume '{HttpHead.Printable(name)}': it could not be created with the session's labels ({HttpHead.Printable(ex.Message)})", "volume");
        }

        if (answer.Status is not (200 or 201))
        {
            throw new PolicyAnswerException(answer);
        }

        if (!(await objects.LookUpAsync(ObjectKind.Volume, name, cancellationToken).ConfigureAwait(false)).Ours)
        {
            throw new PolicyRefusedException($"volume '{HttpHead.Printable(name)}' appeared meanwhile without this session's label", SessionObjects.Rule);
        }
    }
}
