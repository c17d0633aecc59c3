using System.Collections.Concurrent;
using System.Text.Json;
using DindBuild.Sessions;

namespace DindBuild.SocketPolicy;

/// <summary>
/// An object as the daemon resolved a reference to it: its id and name, whether it is the session's,
/// and whether it is one of the daemon's predefined networks (bridge, host, none), which no one owns.
/// </summary>
internal sealed record CheckedObject(ObjectKind Kind, string Id, string Name, bool Ours, bool Predefined = false)
{
    public string Noun => Kind.ToString().ToLowerInvariant();
}

/// <summary>
/// Whose an object is, asked of the daemon itself (<c>docker inspect</c>): the daemon resolves a
/// name, an id or an id prefix exactly as it will for the request, and the object is the session's
/// when it carries <c>org.dindbuild.session=&lt;session&gt;</c>. What the tests create through the
/// proxy gets that label, so their own objects pass; a container's, network's or volume's labels
/// never change after its creation.
/// </summary>
internal sealed class SessionObjects(string sessionId, IDaemonQueries daemon)
{
    public const string Rule = "ownership";

    /// <summary>The predefined networks; user networks cannot take their names.</summary>
    private static readonly string[] PredefinedNetworks = ["bridge", "host", "none"];

    /// <summary>
    /// The session's containers and networks by full id. Only ids are cached, never names (a name can
    /// be renamed or removed and taken by someone else) and never volumes (a volume's id is its name),
    /// and only what is the session's: a request naming a cached full id is not looked up again. An id
    /// is forgotten when the tests remove its object through the proxy.
    /// </summary>
    private readonly ConcurrentDictionary<(ObjectKind, string), CheckedObject> _ours = new();

    public string SessionId => sessionId;

    /// <summary>
    /// The object <paramref name="reference"/> names. A <see cref="PolicyAnswerException"/> with the
    /// daemon's own 404 when there is none (the request must not be forwarded: the name could be taken
    /// meanwhile); a refusal when the daemon cannot be asked.
    /// </summary>
    public async Task<CheckedObject> LookUpAsync(ObjectKind kind, string reference, CancellationToken cancellationToken)
    {
        if (_ours.TryGetValue((kind, reference), out var known))
        {
            return known;
        }

        var escaped = Uri.EscapeDataString(reference);
        var path = kind switch
        {
            ObjectKind.Container => $"/containers/{escaped}/json",
            ObjectKind.Volume => $"/volumes/{escaped}",
            ObjectKind.Network => $"/networks/{escaped}",
            ObjectKind.Exec => $"/exec/{escaped}/json",
            _ => $"/images/{escaped}/json",
        };
        var what = $"{kind.ToString().ToLowerInvariant()} '{HttpHead.Printable(reference)}'";
        DaemonAnswer answer;
        try
        {
            answer = await daemon.SendAsync("GET", path, null, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new PolicyRefusedException($"{what}: the daemon could not be asked whose it is ({HttpHead.Printable(ex.Message)})", Rule);
        }

        if (answer.Status == 404)
        {
            throw new PolicyAnswerException(answer);
        }

        if (answer.Status != 200)
        {
            throw new PolicyRefusedException($"{what}: the daemon answered {answer.Status} when asked whose it is ({HttpHead.Printable(answer.Text)})", Rule);
        }

        CheckedObject found;
        try
        {
            using var document = JsonDocument.Parse(answer.Body);
            found = await ReadAsync(kind, reference, document.RootElement, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new PolicyRefusedException($"{what}: the daemon's answer does not say whose it is", Rule);
        }

        if (found.Ours && kind is ObjectKind.Container or ObjectKind.Network)
        {
            _ours[(kind, found.Id)] = found;
        }

        return found;
    }

    /// <summary>The object, which must be the session's (or a predefined network, when <paramref name="predefinedAllowed"/>).</summary>
    public async Task<CheckedObject> RequireOursAsync(ObjectKind kind, string reference, string at, bool predefinedAllowed, CancellationToken cancellationToken)
    {
        var found = await LookUpAsync(kind, reference, cancellationToken).ConfigureAwait(false);
        return found.Ours || (predefinedAllowed && found.Predefined) ? found : throw new PolicyRefusedException(NotOurs(found, reference, at), Rule);
    }

    /// <summary>The refusal's wording for an object that is not the session's.</summary>
    public string NotOurs(CheckedObject found, string reference, string at) =>
        $"{at}{found.Noun} '{HttpHead.Printable(reference)}' ({HttpHead.Printable(found.Name)}) is not this session's: "
        + $"only containers, volumes, networks and images labelled {SessionLabels.Session}={sessionId} can be used"
        + (found.Kind == ObjectKind.Exec ? " (an exec belongs to its container)" : "");

    /// <summary>The tests removed it: its id could later name someone else's object.</summary>
    public void Forget(ObjectKind kind, string id) => _ours.TryRemove((kind, id), out _);

    private async Task<CheckedObject> ReadAsync(ObjectKind kind, string reference, JsonElement root, CancellationToken cancellationToken)
    {
        bool Labelled(JsonElement? labels) =>
            labels is { ValueKind: JsonValueKind.Object } map && map.TryGetProperty(SessionLabels.Session, out var value)
            && value.ValueKind == JsonValueKind.String && value.GetString() == sessionId;
        JsonElement? Property(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;

        switch (kind)
        {
            case ObjectKind.Container:
                return new(kind, root.GetProperty("Id").GetString()!, (root.GetProperty("Name").GetString() ?? "").TrimStart('/'), Labelled(Property(root.GetProperty("Config"), "Labels")));
            case ObjectKind.Volume:
                var volume = root.GetProperty("Name").GetString()!;
                return new(kind, volume, volume, Labelled(Property(root, "Labels")));
            case ObjectKind.Network:
                var network = root.GetProperty("Name").GetString()!;
                var labelled = Labelled(Property(root, "Labels"));
                return new(kind, root.GetProperty("Id").GetString()!, network, labelled, !labelled && PredefinedNetworks.Contains(network, StringComparer.Ordinal));
            case ObjectKind.Exec:
                // Its container decides; a container gone meanwhile is the daemon's 404.
                var container = await LookUpAsync(ObjectKind.Container, root.GetProperty("ContainerID").GetString()!, cancellationToken).ConfigureAwait(false);
                return new(kind, root.GetProperty("ID").GetString()!, $"of container {container.Name}", container.Ours);
            default:
                return new(kind, root.GetProperty("Id").GetString()!, reference, Labelled(Property(root.GetProperty("Config"), "Labels")));
        }
    }
}

/// <summary>The daemon's own answer to the policy's lookup (a 404), given to the client instead of forwarding its request.</summary>
internal sealed class PolicyAnswerException(DaemonAnswer answer) : Exception($"the daemon answered {answer.Status}")
{
    public DaemonAnswer Answer => answer;
}
