using System.Text;

namespace DindBuild.SocketPolicy;

/// <summary>What the proxy does with a request before it reaches the daemon.</summary>
internal enum Inspection
{
    /// <summary>Forwarded as it came.</summary>
    None,

    ContainerCreate,

    /// <summary>Old API versions take a HostConfig in the start request's body.</summary>
    ContainerStart,

    ContainerUpdate,

    ExecCreate,

    VolumeCreate,

    NetworkCreate,

    /// <summary><c>POST /networks/{id}/connect</c> and <c>…/disconnect</c>: the body names a container.</summary>
    NetworkConnect,

    /// <summary>Only its query (and the form body Go's server would also read) is checked.</summary>
    Build,

    /// <summary>Refused whatever its body: <see cref="ApiRoute.RefusedRule"/> says why.</summary>
    Refused,
}

/// <summary>
/// Which Engine API endpoint a request reaches, seen the way the daemon's router sees it: the path
/// percent-decoded and cleaned (<c>/containers/%63reate</c>, <c>//containers/./create</c>), the
/// version prefix (<c>/v1.45</c>) removed, absolute-form targets reduced to their path, and
/// names and methods compared without case — matching more than the daemon does only inspects more.
/// </summary>
internal sealed record ApiRoute(Inspection Inspection, string Path, string Query)
{
    /// <summary>Why a request is refused outright; null unless <see cref="Inspection"/> is <see cref="Inspection.Refused"/>.</summary>
    public string? RefusedRule { get; init; }

    /// <summary>The version prefix as given (<c>v1.45</c>), kept when the target is rewritten; null for none.</summary>
    public string? Version { get; init; }

    /// <summary>The cleaned path's segments after the version prefix.</summary>
    public IReadOnlyList<string> Segments => Path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// This route with <paramref name="segments"/> and <paramref name="query"/> as an origin-form
    /// target (each segment percent-encoded, the version prefix kept): how a checked request is sent
    /// on once its object names are replaced by the ids that were checked.
    /// </summary>
    public string Target(IEnumerable<string> segments, string query) =>
        "/" + string.Join('/', (Version is null ? [] : new[] { Version }).Concat(segments.Select(Uri.EscapeDataString)))
        + (query.Length > 0 ? "?" + query : "");

    /// <summary>Areas a test has no business changing: each can run code as root on the daemon's host.</summary>
    private static readonly string[] ClusterAndPluginAreas = ["plugins", "swarm", "services", "nodes", "secrets", "configs", "tasks"];

    public static ApiRoute Classify(string method, string target)
    {
        var (path, query, version) = Split(target);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var post = method.Equals("POST", StringComparison.OrdinalIgnoreCase);
        bool Is(int index, string name) => segments.Length > index && segments[index].Equals(name, StringComparison.OrdinalIgnoreCase);

        var inspection = segments.Length switch
        {
            _ when method.Equals("CONNECT", StringComparison.OrdinalIgnoreCase) => Inspection.Refused,
            // BuildKit's controller: its solve requests can ask for network.host and security.insecure, and bypass POST /build's checks.
            1 when Is(0, "grpc") => Inspection.Refused,
            _ when segments.Length > 0 && ClusterAndPluginAreas.Any(area => Is(0, area))
                && !method.Equals("GET", StringComparison.OrdinalIgnoreCase) && !method.Equals("HEAD", StringComparison.OrdinalIgnoreCase) => Inspection.Refused,
            2 when post && Is(0, "containers") && Is(1, "create") => Inspection.ContainerCreate,
            3 when post && Is(0, "containers") && Is(2, "start") => Inspection.ContainerStart,
            3 when post && Is(0, "containers") && Is(2, "update") => Inspection.ContainerUpdate,
            3 when post && Is(0, "containers") && Is(2, "exec") => Inspection.ExecCreate,
            2 when post && Is(0, "volumes") && Is(1, "create") => Inspection.VolumeCreate,
            2 when post && Is(0, "networks") && Is(1, "create") => Inspection.NetworkCreate,
            >= 3 when post && Is(0, "networks") && (Is(segments.Length - 1, "connect") || Is(segments.Length - 1, "disconnect")) => Inspection.NetworkConnect,
            1 when post && Is(0, "build") => Inspection.Build,
            _ => Inspection.None,
        };
        return new ApiRoute(inspection, path, query)
        {
            Version = version,
            RefusedRule = inspection != Inspection.Refused ? null
                : method.Equals("CONNECT", StringComparison.OrdinalIgnoreCase) ? "CONNECT requests are not proxied"
                : Is(0, "grpc") ? "BuildKit /grpc: BuildKit's controller API is not proxied (a solve request can ask for network.host and security.insecure); build through POST /build (DOCKER_BUILDKIT=0 docker build, Testcontainers' image builds)"
                : $"{method.ToUpperInvariant()} /{segments[0].ToLowerInvariant()}: plugin, swarm and service management is not allowed (plugins and services run with host privileges)",
        };
    }

    /// <summary>The query's values for <paramref name="name"/> (any case), decoded as Go's form parser decodes them.</summary>
    public IEnumerable<string> QueryValues(string name) => FormValues(Query, name);

    public static IEnumerable<string> FormValues(string form, string name) =>
        form.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Where(pair => Decode(pair[0], plusIsSpace: true).Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(pair => pair.Length == 2 ? Decode(pair[1], plusIsSpace: true) : "");

    private static (string Path, string Query, string? Version) Split(string target)
    {
        if (target == "*")
        {
            return ("*", "", null);
        }

        var rest = target;
        if (!rest.StartsWith('/'))
        {
            // Absolute form (http://docker/containers/create), which Go's server accepts too.
            var scheme = rest.IndexOf("://", StringComparison.Ordinal);
            var slash = scheme < 0 ? -1 : rest.IndexOf('/', scheme + 3);
            if (scheme <= 0)
            {
                throw new HttpFramingException($"a request target that is neither a path nor an absolute URI: '{HttpHead.Printable(target)}'");
            }

            rest = slash < 0 ? "/" : rest[slash..];
        }

        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question < 0 ? rest : rest[..question];
        var query = question < 0 ? "" : rest[(question + 1)..];

        // Go before 1.17 split a query at ';' as well as '&', later ones reject the pair: either way it could mean something else to the daemon.
        if (query.Contains(';', StringComparison.Ordinal))
        {
            throw new HttpFramingException("a ';' in the query (Go's servers split or reject it there; escape it as %3B)");
        }

        var (path, version) = Clean(Decode(rawPath, plusIsSpace: false));
        return (path, query, version);
    }

    /// <summary>Path.Clean's rules: one slash between segments, "." dropped, ".." removes its parent; then no version prefix.</summary>
    private static (string Path, string? Version) Clean(string path)
    {
        var kept = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (kept.Count > 0)
                {
                    kept.RemoveAt(kept.Count - 1);
                }

                continue;
            }

            kept.Add(segment);
        }

        string? version = null;
        if (kept.Count > 0 && kept[0].Length > 1 && kept[0][0] is 'v' or 'V' && kept[0][1..].All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            version = kept[0];
            kept.RemoveAt(0);
        }

        return ("/" + string.Join('/', kept), version);
    }

    public static string Decode(string text, bool plusIsSpace)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
                {
                    throw new HttpFramingException($"an invalid percent escape in '{HttpHead.Printable(text)}'");
                }

                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add(c == '+' && plusIsSpace ? (byte)' ' : (byte)c);
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }
}
