using System.Collections.Immutable;
using System.Globalization;

namespace DindBuild.Sessions;

/// <summary>
/// The labels every resource of a run carries, so teardown, the reaper and leak checks can find
/// them all: the session, the resource's role, its owner and when it was created.
/// </summary>
public static class SessionLabels
{
    public const string Session = "org.dindbuild.session";

    public const string Role = "org.dindbuild.role";

    public const string Owner = "org.dindbuild.owner";

    public const string Created = "org.dindbuild.created";

    public static ImmutableDictionary<string, string> For(string sessionId, string role, string? owner = null) =>
        ImmutableDictionary<string, string>.Empty
            .Add(Session, sessionId)
            .Add(Role, role)
            .Add(Owner, owner ?? ProcessOwner.Current)
            .Add(Created, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
}
