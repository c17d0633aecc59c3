using System.Globalization;
using System.Text.Json;
using DindBuild.Diagnostics;

namespace DindBuild.Settings;

/// <summary>
/// Per-repository defaults in <c>dindbuild.json</c> at the repository root: one key per parameter
/// name, a string, number or boolean (an array for repeatable ones). Overridden by the environment,
/// which the command line overrides. Unknown keys and wrong types are errors naming the key.
/// </summary>
internal static class ParametersFile
{
    public const string FileName = "dindbuild.json";

    /// <summary>The values per parameter name; empty when the file does not exist.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Load(string repositoryRoot)
    {
        var path = Path.Combine(repositoryRoot, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path), path) : new Dictionary<string, IReadOnlyList<string>>();
    }

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw Invalid(source, [$"not valid JSON: {ex.Message}"]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, ["the file must hold one JSON object, {\"parameter-name\": value, …}"]);
            }

            var problems = new List<string>();
            string? firstBadKey = null;
            var values = new Dictionary<string, IReadOnlyList<string>>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var parameter = DindParameters.All.FirstOrDefault(p => p.Name == property.Name);
                if (parameter is null)
                {
                    problems.Add($"unknown key \"{property.Name}\"; did you mean \"{Nearest(property.Name)}\"?");
                    firstBadKey ??= property.Name;
                    continue;
                }

                var read = Read(property.Value, parameter);
                if (read is null)
                {
                    firstBadKey ??= property.Name;
                    problems.Add($"\"{property.Name}\" must be {(parameter.Repeatable ? "an array of strings" : parameter.IsSwitch ? "true or false" : "a string or a number")}, not {property.Value.ValueKind.ToString().ToLowerInvariant()}");
                    continue;
                }

                values[property.Name] = read;
            }

            return problems.Count > 0 ? throw Invalid(source, problems, LineOfKey(json, firstBadKey) is { } line ? new SourceLocation(source, line) : null) : values;
        }
    }

    private static IReadOnlyList<string>? Read(JsonElement value, DindParameter parameter) => value.ValueKind switch
    {
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.Number when !parameter.Repeatable && !parameter.IsSwitch => [value.GetRawText()],
        JsonValueKind.True or JsonValueKind.False when parameter.IsSwitch => [value.GetBoolean() ? "true" : "false"],
        JsonValueKind.Array when parameter.Repeatable && value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String) =>
            value.EnumerateArray().Select(item => item.GetString()!).ToList(),
        _ => null,
    };

    /// <summary>The parameter name closest to a misspelt key.</summary>
    public static string Nearest(string key) => NearestName.Find(key, DindParameters.All.Select(p => p.Name))!;

    private static DindBuildException Invalid(string source, IReadOnlyList<string> problems, SourceLocation? location = null) => new(
        FailureKind.BadParameters,
        $"The parameters file {source} is invalid.",
        string.Join('\n', problems),
        string.Create(CultureInfo.InvariantCulture, $"use the parameter names of './build.sh --help' as keys; {problems.Count} problem(s) above."))
    {
        Location = location,
    };

    /// <summary>The 1-based line of a key's first occurrence, for an annotation that points at it.</summary>
    private static int? LineOfKey(string json, string? key)
    {
        var at = key is null ? -1 : json.IndexOf(JsonSerializer.Serialize(key), StringComparison.Ordinal);
        return at < 0 ? null : json.AsSpan(0, at).Count('\n') + 1;
    }
}
