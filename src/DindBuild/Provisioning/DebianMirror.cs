using System.Text.RegularExpressions;

namespace DindBuild.Provisioning;

/// <summary>The Debian mirror apt already uses here, so debootstrap reaches what apt reaches.</summary>
internal static partial class DebianMirror
{
    public const string Default = "http://deb.debian.org/debian";

    public static string Find()
    {
        var sources = new List<string>();
        if (File.Exists("/etc/apt/sources.list"))
        {
            sources.Add(File.ReadAllText("/etc/apt/sources.list"));
        }

        if (Directory.Exists("/etc/apt/sources.list.d"))
        {
            sources.AddRange(Directory.GetFiles("/etc/apt/sources.list.d").Where(f => f.EndsWith(".sources", StringComparison.Ordinal) || f.EndsWith(".list", StringComparison.Ordinal)).Order().Select(File.ReadAllText));
        }

        return FromSources(sources) ?? Default;
    }

    /// <summary>The first main-archive URL (not the security archive) in one-line or deb822 sources.</summary>
    public static string? FromSources(IEnumerable<string> texts) =>
        texts.SelectMany(text => SourceUrl().Matches(text))
            .Select(match => match.Groups["url"].Value.TrimEnd('/'))
            .FirstOrDefault(url => url.EndsWith("/debian", StringComparison.Ordinal));

    [GeneratedRegex(@"^\s*(?:deb\s+(?:\[[^\]]*\]\s+)?|URIs:\s*)(?<url>https?://\S+)", RegexOptions.Multiline)]
    private static partial Regex SourceUrl();
}
