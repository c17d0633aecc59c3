using System.Collections.Concurrent;
using System.Globalization;
using Serilog;

namespace DindBuild.SocketPolicy;

/// <summary>
/// What the tests asked of the policy socket, for the log. The tests are hostile input and must not
/// flood the build log (a loop of refused requests would print a line each): the first
/// <see cref="Logged"/> refusals are warnings in full, after that they are only counted per rule,
/// with one line when the count reaches 100, 1000, 10000…, and the counts in <see cref="Summary"/>
/// at the end. Malformed connections likewise.
/// </summary>
internal sealed class SocketPolicyStats(ILogger log)
{
    public const int Logged = 20;

    /// <summary>Rule names come from the tests' requests: beyond this many, the rest are counted as "other".</summary>
    private const int DistinctRules = 32;

    private readonly ConcurrentDictionary<string, int> _byRule = new(StringComparer.Ordinal);
    private int _requests;
    private int _refused;
    private int _malformed;

    public int Requests => Volatile.Read(ref _requests);

    public int RefusedCount => Volatile.Read(ref _refused);

    public int MalformedCount => Volatile.Read(ref _malformed);

    /// <summary>Refusals per rule (the field or area a rule is about: HostConfig.Privileged, ownership, BuildKit /grpc…).</summary>
    public IReadOnlyDictionary<string, int> RefusedByRule => new Dictionary<string, int>(_byRule, StringComparer.Ordinal);

    /// <summary>"ownership 99990, HostConfig.Privileged 10", most frequent first; "none" when nothing was refused.</summary>
    public string Summary => _byRule.IsEmpty ? "none"
        : string.Join(", ", _byRule.OrderByDescending(rule => rule.Value).ThenBy(rule => rule.Key, StringComparer.Ordinal).Select(rule => string.Create(CultureInfo.InvariantCulture, $"{rule.Key} {rule.Value}")));

    public void Request() => Interlocked.Increment(ref _requests);

    public void Refused(string request, PolicyRefusedException refusal)
    {
        var rule = _byRule.ContainsKey(refusal.Rule) || _byRule.Count < DistinctRules ? refusal.Rule : "other";
        _byRule.AddOrUpdate(rule, 1, (_, count) => count + 1);
        var refused = Interlocked.Increment(ref _refused);
        if (refused <= Logged)
        {
            log.Warning("The socket policy refused {Request} from the tests: {Rules}", HttpHead.Printable(request), refusal.Message);
        }
        else if (IsMilestone(refused))
        {
            log.Warning("The socket policy has refused {Refused} requests from the tests (by rule: {ByRule:l}); after the first {Logged} they are counted, not logged", refused, Summary, Logged);
        }
    }

    public void Malformed(string problem)
    {
        var count = Interlocked.Increment(ref _malformed);
        if (count <= Logged)
        {
            log.Warning("The socket policy closed a connection from the tests: {Problem}", problem);
        }
        else if (IsMilestone(count))
        {
            log.Warning("The socket policy has closed {Malformed} malformed connections from the tests; after the first {Logged} they are counted, not logged", count, Logged);
        }
    }

    /// <summary>100, 1000, 10000…: a handful of lines for any number of refusals.</summary>
    private static bool IsMilestone(int count)
    {
        if (count < 100)
        {
            return false;
        }

        while (count % 10 == 0)
        {
            count /= 10;
        }

        return count == 1;
    }
}
