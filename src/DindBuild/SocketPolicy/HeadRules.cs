namespace DindBuild.SocketPolicy;

/// <summary>What the request head alone decides: refused areas, form bodies, and build options that reach the host.</summary>
internal static class HeadRules
{
    /// <summary>The network modes a build may use; host and container:&lt;id&gt; reach outside the build's own namespace.</summary>
    private static readonly string[] BuildNetworks = ["", "default", "bridge", "none"];

    public static void Check(ApiRoute route, HttpHead head)
    {
        if (route.Inspection == Inspection.Refused)
        {
            throw new PolicyRefusedException(route.RefusedRule!, route.RefusedRule!.StartsWith("BuildKit", StringComparison.Ordinal) ? "BuildKit /grpc" : "cluster and plugin API");
        }

        // Go's server also reads form values from a form body (and prefers them to the query's): options and filters could hide there. No Docker client sends one.
        var type = head.Values("Content-Type").FirstOrDefault()?.Split(';')[0].Trim() ?? "";
        if (type.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) || type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new PolicyRefusedException($"{head.First.ToUpperInvariant()} {HttpHead.Printable(route.Path)} with a {type} body: options are taken from the query only", "form body");
        }

        if (route.Inspection == Inspection.Build)
        {
            CheckBuild(route);
        }
    }

    private static void CheckBuild(ApiRoute route)
    {
        var refusals = new List<string>();
        foreach (var mode in route.QueryValues("networkmode").Select(mode => mode.Trim()).Where(mode => !BuildNetworks.Contains(mode, StringComparer.OrdinalIgnoreCase)))
        {
            refusals.Add(mode.Equals("host", StringComparison.OrdinalIgnoreCase)
                ? "networkmode=host (POST /build): the host's namespaces are not allowed"
                : $"networkmode={HttpHead.Printable(mode)} (POST /build): builds use the default, bridge or none network (host and container:<id> reach outside the build)");
        }

        if (route.QueryValues("cgroupparent").Any(parent => parent.Length > 0))
        {
            refusals.Add("cgroupparent (POST /build): a cgroup outside the daemon's is not allowed");
        }

        // client-session is BuildKit's context from the client; a URL or git repository would be fetched by the daemon, from its host.
        foreach (var remote in route.QueryValues("remote").Where(remote => remote.Length > 0 && remote != "client-session"))
        {
            refusals.Add($"remote={HttpHead.Printable(remote)} (POST /build): the daemon fetching a context from a URL or repository reaches from its host; send the context as the request body");
        }

        RequestPolicy.ThrowIfAny(refusals);
    }
}
