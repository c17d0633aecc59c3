using System.Text.Json;
using System.Text.Json.Nodes;

namespace DindBuild.SocketPolicy;

/// <summary>
/// Engine API request bodies read the way the daemon (Go's encoding/json) reads them, so a body
/// cannot mean one thing to the proxy and another to the daemon: field names match without case
/// (and with Go's two non-ASCII folds, ſ for s and the Kelvin sign for k), a string counts as a
/// one-element string list where Go's StrSlice takes it, and what Go would resolve silently —
/// a key twice, one field under two spellings, trailing data — is refused.
/// </summary>
internal static class ApiJson
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>The body as an object; a refusal when it is not exactly one JSON object.</summary>
    public static JsonObject ParseObject(byte[] body)
    {
        try
        {
            // The document checks every level at once (duplicates included); the node tree is then built from the same bytes.
            using (JsonDocument.Parse(body, Strict))
            {
            }

            return JsonNode.Parse(body, documentOptions: Strict) as JsonObject ?? throw new PolicyRefusedException("the request body is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new PolicyRefusedException($"the request body is not valid JSON ({HttpHead.Printable(ex.Message)})");
        }
    }

    /// <summary>Whether a JSON key names <paramref name="field"/> for Go's decoder.</summary>
    public static bool NameMatches(string key, string field)
    {
        if (key.Length != field.Length)
        {
            return false;
        }

        for (var i = 0; i < key.Length; i++)
        {
            var k = key[i];
            var f = char.ToLowerInvariant(field[i]);
            var matches = char.IsAscii(k) ? char.ToLowerInvariant(k) == f : (k == 'ſ' && f == 's') || (k == 'K' && f == 'k');
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The value of <paramref name="field"/> in a struct-like object; null when absent. Two spellings of it are refused.</summary>
    public static JsonNode? Field(JsonObject obj, string field, string where)
    {
        var keys = Keys(obj, field);
        return keys.Count switch
        {
            0 => null,
            1 => obj[keys[0]],
            _ => throw new PolicyRefusedException($"{where}{field} is given {keys.Count} times ({string.Join(", ", keys.Select(HttpHead.Printable))})"),
        };
    }

    /// <summary>Every key of <paramref name="obj"/> that names <paramref name="field"/>, in order.</summary>
    public static List<string> Keys(JsonObject obj, string field) =>
        [.. obj.Select(property => property.Key).Where(key => NameMatches(key, field))];

    public static JsonObject? Object(JsonNode? node, string what) => node switch
    {
        null => null,
        JsonObject obj => obj,
        _ => throw new PolicyRefusedException($"{what} is not an object"),
    };

    public static JsonArray? Array(JsonNode? node, string what) => node switch
    {
        null => null,
        JsonArray array => array,
        _ => throw new PolicyRefusedException($"{what} is not a list"),
    };

    /// <summary>A string, or null for JSON null or absence; any other type is refused.</summary>
    public static string? String(JsonNode? node, string what) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw new PolicyRefusedException($"{what} is not a string"),
    };

    /// <summary>A string list, as Go's StrSlice reads it: a list of strings, or one string.</summary>
    public static IReadOnlyList<string> Strings(JsonNode? node, string what) => node switch
    {
        null => [],
        JsonArray array => [.. array.Select(item => String(item, what) ?? "")],
        _ => [String(node, what)!],
    };

    /// <summary>Whether a boolean field is set; anything but true, false or null is refused rather than guessed at.</summary>
    public static bool IsTrue(JsonNode? node, string what) => node switch
    {
        null => false,
        JsonValue value when value.GetValueKind() == JsonValueKind.True => true,
        JsonValue value when value.GetValueKind() == JsonValueKind.False => false,
        _ => throw new PolicyRefusedException($"{what} is not true or false"),
    };

    /// <summary>Whether a list-like field holds anything: absent, null and [] do not; any other value does.</summary>
    public static bool HasItems(JsonNode? node) => node switch
    {
        null => false,
        JsonArray array => array.Count > 0,
        JsonObject obj => obj.Count > 0,
        JsonValue value when value.GetValueKind() == JsonValueKind.Null => false,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>().Length > 0,
        _ => true,
    };
}

/// <summary>
/// A request the socket policy refuses; the message names the rule and the parameter, the rule is a
/// short name for the counts (by default the message's first word: a field such as HostConfig.Privileged).
/// </summary>
internal sealed class PolicyRefusedException(string message, string? rule = null) : Exception(message)
{
    public string Rule { get; } = rule ?? RuleOf(message);

    /// <summary>The message up to its first space, colon or '=': the field the rule is about, without the value the tests sent.</summary>
    public static string RuleOf(string message)
    {
        var end = message.IndexOfAny([' ', ':', '=']);
        return HttpHead.Printable(end < 0 ? message : message[..end]);
    }
}
