namespace DindBuild.Docker;

/// <summary>The Engine API's <c>filters</c> shape for one <c>label=KEY=VALUE</c> condition.</summary>
internal static class LabelFilter
{
    public static IDictionary<string, IDictionary<string, bool>> For(string key, string value) =>
        new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [$"{key}={value}"] = true },
        };
}
