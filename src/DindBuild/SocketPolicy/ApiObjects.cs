namespace DindBuild.SocketPolicy;

/// <summary>The kinds of daemon objects a request can name.</summary>
internal enum ObjectKind
{
    Container,
    Volume,
    Network,

    /// <summary>An exec instance: it belongs to whoever owns its container.</summary>
    Exec,

    Image,
}

/// <summary>
/// The object a request's path names: <see cref="Reference"/> as the daemon will resolve it (a name,
/// an id or an id prefix), spanning <see cref="Count"/> path segments from <see cref="First"/> —
/// the daemon's routes take <c>{name:.*}</c>, so a legacy link name like <c>web/db</c> spans two.
/// </summary>
internal sealed record AddressedObject(ObjectKind Kind, string Reference, int First, int Count);

/// <summary>
/// Which object an Engine API path names, and which listing or prune it is, read the way the
/// daemon's router reads them (its routes for containers, volumes, networks and execs, as in moby's
/// api/server/router). Fixed words are compared without case, like the rest of the routing here.
/// </summary>
internal static class ApiObjects
{
    /// <summary>The object a request names in its path; null when it names none (a list, a create, a prune, anything else).</summary>
    public static AddressedObject? Addressed(string method, IReadOnlyList<string> segments)
    {
        if (segments.Count < 2)
        {
            return null;
        }

        var delete = method.Equals("DELETE", StringComparison.OrdinalIgnoreCase);
        bool Is(int index, string name) => segments[index].Equals(name, StringComparison.OrdinalIgnoreCase);
        bool IsAny(int index, params string[] names) => names.Any(name => Is(index, name));
        AddressedObject Span(ObjectKind kind, int count) => new(kind, string.Join('/', segments.Skip(1).Take(count)), 1, count);
        var all = segments.Count - 1;

        switch (segments[0].ToLowerInvariant())
        {
            case "containers":
                // GET /containers/json lists, POST /containers/create and /containers/prune name no container; DELETE /containers/{name:.*} does.
                if (segments.Count == 2 && !delete && IsAny(1, "json", "create", "prune"))
                {
                    return null;
                }

                if (delete || segments.Count == 2)
                {
                    return Span(ObjectKind.Container, all);
                }

                // GET /containers/{name:.*}/attach/ws is the only route with two fixed words at the end.
                return segments.Count >= 4 && Is(all, "ws") && Is(all - 1, "attach") ? Span(ObjectKind.Container, all - 2) : Span(ObjectKind.Container, all - 1);
            case "exec":
                return segments.Count >= 3 ? Span(ObjectKind.Exec, all - 1) : null;
            case "volumes":
                return segments.Count == 2 && !delete && IsAny(1, "create", "prune") ? null : Span(ObjectKind.Volume, all);
            case "networks":
                if (segments.Count == 2 && !delete && IsAny(1, "create", "prune"))
                {
                    return null;
                }

                return !delete && segments.Count >= 3 && IsAny(all, "connect", "disconnect") ? Span(ObjectKind.Network, all - 1) : Span(ObjectKind.Network, all);
            case "images" when delete:
                return Span(ObjectKind.Image, all);
            default:
                return null;
        }
    }

    /// <summary>
    /// The kind a list or prune request covers, for the session's label filter: <c>GET /containers/json</c>,
    /// <c>GET /volumes</c>, <c>GET /networks</c>, and <c>POST /{containers,volumes,networks,images}/prune</c>.
    /// Images are listed unfiltered: they are shared by nature.
    /// </summary>
    public static ObjectKind? Filtered(string method, IReadOnlyList<string> segments)
    {
        var get = method.Equals("GET", StringComparison.OrdinalIgnoreCase) || method.Equals("HEAD", StringComparison.OrdinalIgnoreCase);
        var post = method.Equals("POST", StringComparison.OrdinalIgnoreCase);
        bool Is(int index, string name) => segments.Count > index && segments[index].Equals(name, StringComparison.OrdinalIgnoreCase);
        return segments.Count switch
        {
            1 when get && Is(0, "volumes") => ObjectKind.Volume,
            1 when get && Is(0, "networks") => ObjectKind.Network,
            2 when get && Is(0, "containers") && Is(1, "json") => ObjectKind.Container,
            2 when post && Is(1, "prune") && Is(0, "containers") => ObjectKind.Container,
            2 when post && Is(1, "prune") && Is(0, "volumes") => ObjectKind.Volume,
            2 when post && Is(1, "prune") && Is(0, "networks") => ObjectKind.Network,
            2 when post && Is(1, "prune") && Is(0, "images") => ObjectKind.Image,
            _ => null,
        };
    }
}
