using System.Text.RegularExpressions;

namespace DindBuild.ImageBuild.Session;

/// <summary>A build that failed because a <c>RUN --mount=type=secret,…,required=true</c> got no secret: what to give it.</summary>
internal static partial class MissingSecret
{
    /// <summary>The fix for BuildKit's "secret ID not found" (or, without any session, "no active sessions"); null for other errors.</summary>
    public static string? FixFor(string error)
    {
        if (NotFound().Match(error) is { Success: true } match)
        {
            var id = match.Groups[1].Value;
            return $"give the build that secret — '--build-secret id={id},env=VAR' or '--build-secret id={id},src=FILE' — or drop 'required=true' from the mount if the step can do without it.";
        }

        return error.Contains("no active session", StringComparison.OrdinalIgnoreCase)
            ? "the Dockerfile mounts a secret and the build was given none: add '--build-secret id=ID,env=VAR' (or src=FILE) for each id its RUN --mount=type=secret lines name."
            : null;
    }

    [GeneratedRegex(@"secret (\S{1,200}) not found")]
    private static partial Regex NotFound();
}
