using System.Text.Json;
using System.Text.Json.Nodes;

namespace DindBuild.SocketPolicy;

/// <summary>
/// Query parameters rewritten the way the daemon reads them back: Go's <c>r.Form.Get(name)</c> takes
/// the first value of exactly that key, so the rewritten parameter replaces every spelling of it and
/// is the only one left.
/// </summary>
internal static class QueryRewrite
{
    /// <summary>What the daemon reads for <paramref name="name"/>: the first value of exactly that key; null when absent.</summary>
    public static string? GoValue(string query, string name) =>
        Pairs(query).Where(pair => pair.Key == name).Select(pair => pair.Value).FirstOrDefault();

    /// <summary>The query without any pair whose key is <paramref name="name"/> in any case, and then <c>name=value</c>.</summary>
    public static string With(string query, string name, string value)
    {
        var kept = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(pair => !ApiRoute.Decode(pair.Split('=', 2)[0], plusIsSpace: true).Equals(name, StringComparison.OrdinalIgnoreCase));
        return string.Join('&', kept.Append($"{name}={Uri.EscapeDataString(value)}"));
    }

    /// <summary>
    /// A list or prune's <c>filters</c> JSON with the session's label added: label filters are ANDed,
    /// so the request covers the session's objects and nothing else, whatever else it filters on.
    /// Both of Go's forms are read (<c>{"label":{"a=b":true}}</c> and the legacy <c>{"label":["a=b"]}</c>).
    /// </summary>
    public static string WithLabelFilter(string? filters, string label)
    {
        var parsed = string.IsNullOrWhiteSpace(filters) ? [] : ApiJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(filters));
        var labels = new JsonObject();
        switch (parsed["label"])
        {
            case null:
                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    labels[ApiJson.String(item, "filters label") ?? ""] = true;
                }

                break;
            case JsonObject map:
                foreach (var (name, value) in map)
                {
                    labels[name] = value is JsonValue boolean && boolean.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                        ? boolean.GetValue<bool>()
                        : throw new PolicyRefusedException("filters: a label filter that is neither a list nor a map of true/false");
                }

                break;
            default:
                throw new PolicyRefusedException("filters: a label filter that is neither a list nor a map of true/false");
        }

        labels[label] = true;
        parsed["label"] = labels;
        return parsed.ToJsonString();
    }

    /// <summary>A build's <c>labels</c> JSON (a string map) with <paramref name="labels"/> merged in; the session's win.</summary>
    public static string WithLabels(string? given, IReadOnlyDictionary<string, string> labels)
    {
        var parsed = string.IsNullOrWhiteSpace(given) ? [] : ApiJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(given));
        foreach (var (name, value) in parsed)
        {
            ApiJson.String(value, $"labels[{HttpHead.Printable(name)}]");
        }

        foreach (var (name, value) in labels)
        {
            parsed[name] = value;
        }

        return parsed.ToJsonString();
    }

    private static IEnumerable<KeyValuePair<string, string>> Pairs(string query) =>
        query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(pair => KeyValuePair.Create(ApiRoute.Decode(pair[0], plusIsSpace: true), pair.Length == 2 ? ApiRoute.Decode(pair[1], plusIsSpace: true) : ""));
}
