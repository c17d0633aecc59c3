using System.Text.Json.Nodes;

namespace DindBuild.SocketPolicy;

/// <summary>
/// Puts the session's labels on what a test creates, keeping the test's own labels. Every spelling
/// of "Labels" is merged into one first: Go's decoder fills one map from all of them in order, so a
/// second "labels" key after ours could otherwise take the session label off again.
/// </summary>
internal static class SessionLabelling
{
    public static void Merge(JsonObject target, IReadOnlyDictionary<string, string> labels, string where)
    {
        var merged = new JsonObject();
        foreach (var key in ApiJson.Keys(target, "Labels"))
        {
            var given = ApiJson.Object(target[key], where + "Labels");
            target.Remove(key);
            foreach (var (name, value) in given ?? [])
            {
                merged[name] = ApiJson.String(value, $"{where}Labels[{HttpHead.Printable(name)}]") ?? "";
            }
        }

        foreach (var (name, value) in labels)
        {
            merged[name] = value;
        }

        target["Labels"] = merged;
    }
}
