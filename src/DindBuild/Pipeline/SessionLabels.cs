using System.Collections.Immutable;

namespace DindBuild.Pipeline;

/// <summary>The labels every resource of a run carries, so teardown and leak checks can find them all.</summary>
public static class SessionLabels
{
    public const string Session = "org.dindbuild.session";

    public const string Role = "org.dindbuild.role";

    public static ImmutableDictionary<string, string> For(string sessionId, string role) =>
        ImmutableDictionary<string, string>.Empty.Add(Session, sessionId).Add(Role, role);
}
