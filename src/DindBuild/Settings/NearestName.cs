namespace DindBuild.Settings;

/// <summary>
/// "Did you mean …?" for a misspelt name: the candidate with the fewest single-character edits,
/// ignoring case. One helper, so the parameters file and the command line suggest alike.
/// </summary>
internal static class NearestName
{
    /// <summary>
    /// The closest candidate (ties: the first in ordinal order), or null when none is within
    /// <paramref name="maxDistance"/> edits, so that a name near nothing gets no misleading guess.
    /// </summary>
    public static string? Find(string given, IEnumerable<string> candidates, int maxDistance = int.MaxValue) =>
        candidates
            .Select(candidate => (Candidate: candidate, Distance: Distance(given, candidate)))
            .Where(scored => scored.Distance <= maxDistance)
            .OrderBy(scored => scored.Distance)
            .ThenBy(scored => scored.Candidate, StringComparer.Ordinal)
            .Select(scored => scored.Candidate)
            .FirstOrDefault();

    /// <summary>
    /// Case-insensitive edit distance. A name cut short (<c>keep</c> for <c>keep-daemon</c>) counts as
    /// one edit: users abbreviate, and the plain distance would rank a short unrelated name first.
    /// </summary>
    public static int Distance(string given, string candidate)
    {
        if (given.Length >= 3 && candidate.Length > given.Length && candidate.StartsWith(given, StringComparison.OrdinalIgnoreCase))
        {
            return 1;
        }

        var previous = Enumerable.Range(0, candidate.Length + 1).ToArray();
        for (var i = 1; i <= given.Length; i++)
        {
            var current = new int[candidate.Length + 1];
            current[0] = i;
            for (var j = 1; j <= candidate.Length; j++)
            {
                var substitution = previous[j - 1] + (char.ToLowerInvariant(given[i - 1]) == char.ToLowerInvariant(candidate[j - 1]) ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitution);
            }

            previous = current;
        }

        return previous[candidate.Length];
    }
}
