namespace DindBuild.Docker;

/// <summary>The Engine API's <c>filters</c> shape for one <c>label=KEY=VALUE</c> condition.</summary>
internal static class LabelFilter
{
    public static IDictionary<string, IDictionary<string, bool>> For(string key, string value) => ForCondition($"{key}={value}");

    /// <summary>Any value of the label.</summary>
    public static IDictionary<string, IDictionary<string, bool>> ForKey(string key) => ForCondition(key);

    public static IReadOnlyDictionary<string, string> Copy(IDictionary<string, string>? labels) =>
        labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(labels);

    private static IDictionary<string, IDictionary<string, bool>> ForCondition(string condition) =>
        new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [condition] = true },
        };
}
