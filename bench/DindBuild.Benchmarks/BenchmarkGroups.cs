namespace DindBuild.Benchmarks;

/// <summary>
/// The groups of rows <c>--only</c> and <c>--skip</c> name (comma-separated): the slow ones can be left out, or one run
/// alone. <c>cache-mounts</c> is the cache-mount row of <c>builders</c> on its own.
/// </summary>
public sealed class BenchmarkGroups
{
    public const string Builders = "builders";
    public const string CacheMounts = "cache-mounts";
    public const string Daemon = "daemon";
    public const string Transfer = "transfer";
    public const string EndToEnd = "end-to-end";
    public const string Dotnet = "dotnet";
    public const string Startup = "startup";
    public const string Publish = "publish";

    public static readonly IReadOnlyList<string> Names = [Builders, CacheMounts, Daemon, Transfer, EndToEnd, Dotnet, Startup, Publish];

    private readonly HashSet<string> _running;

    private BenchmarkGroups(IEnumerable<string> running) => _running = new(running, StringComparer.Ordinal);

    public static BenchmarkGroups All { get; } = new(Names.Where(name => name != CacheMounts));

    public bool Runs(string group) => _running.Contains(group);

    public override string ToString() => string.Join(", ", Names.Where(Runs));

    /// <exception cref="FormatException">An unknown group, or nothing left to run.</exception>
    public static BenchmarkGroups From(string? only, string? skip)
    {
        var chosen = only is null ? All._running : Parse("only", only);
        var left = chosen.Except(skip is null ? [] : Parse("skip", skip)).ToList();
        return left.Count > 0 ? new(left) : throw new FormatException("--only and --skip leave no group to run");
    }

    private static HashSet<string> Parse(string option, string list)
    {
        var names = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(name => name.ToLowerInvariant()).ToHashSet();
        var unknown = names.Except(Names).ToList();
        return unknown.Count == 0 && names.Count > 0
            ? names
            : throw new FormatException($"--{option} {list}: the groups are {string.Join(", ", Names)} (comma-separated)");
    }
}
