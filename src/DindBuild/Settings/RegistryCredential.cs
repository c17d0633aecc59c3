using System.Text;
using System.Text.Json;

namespace DindBuild.Settings;

/// <summary>Credentials for one registry, as the docker CLI's config.json (and CI's DOCKER_AUTH_CONFIG) hold them.</summary>
public sealed record RegistryCredential(string Registry, string? Username, string? Password, string? IdentityToken)
{
    /// <summary>
    /// The <c>auths</c> of a config.json text: each entry's <c>auth</c> (base64 of user:password) or
    /// <c>username</c>/<c>password</c>, and <c>identitytoken</c>.
    /// </summary>
    public static IReadOnlyList<RegistryCredential> ParseAuthConfig(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not a docker config.json: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("not a docker config.json with an \"auths\" object");
            }

            var credentials = auths.EnumerateObject().Select(Read).ToList();

            // 'docker login' with a credential helper leaves empty auths entries and the secret in the helper.
            if (credentials.All(credential => credential.Password is null && credential.IdentityToken is null)
                && (document.RootElement.TryGetProperty("credsStore", out _) || document.RootElement.TryGetProperty("credHelpers", out _)))
            {
                throw new FormatException("a config.json whose credentials are in a credential helper (credsStore/credHelpers), which DindBuild does not run: give the \"auths\" entries with \"auth\" or \"username\"/\"password\" (a config.json written by 'docker login' on a machine without a helper, or CI's DOCKER_AUTH_CONFIG)");
            }

            return credentials;
        }
    }

    /// <summary>
    /// <c>--docker-auth-config</c>'s value: config.json text (what CI variables hold) when it starts with <c>{</c>, else the
    /// path of a config.json file (what <c>docker login</c> writes), resolved by <paramref name="resolvePath"/>.
    /// </summary>
    public static IReadOnlyList<RegistryCredential> ParseAuthConfigOrFile(string value, Func<string, string> resolvePath)
    {
        var trimmed = value.Trim();
        if (trimmed.StartsWith('{'))
        {
            return ParseAuthConfig(trimmed);
        }

        var path = resolvePath(trimmed);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A value that does not look like a path may be a secret pasted in the wrong place: it is not shown then.
            var named = trimmed.Contains('/', StringComparison.Ordinal) || trimmed.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? $"{path}: {ex.Message}"
                : "(the value is not shown: it looks like neither a path nor config.json text, and may be a secret)";
            throw new FormatException($"neither config.json text (it does not start with '{{') nor a readable credentials file: {named}", ex);
        }

        try
        {
            return ParseAuthConfig(text);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"the credentials file {path} is {ex.Message}", ex);
        }
    }

    /// <summary>Every value among these credentials that must never be shown.</summary>
    public IEnumerable<string> SecretValues()
    {
        if (Password is not null)
        {
            yield return Password;
            yield return Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
        }

        if (IdentityToken is not null)
        {
            yield return IdentityToken;
        }
    }

    private static RegistryCredential Read(JsonProperty entry)
    {
        string? Text(string name) => entry.Value.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var username = Text("username");
        var password = Text("password");
        if (Text("auth") is { Length: > 0 } auth)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException)
            {
                throw new FormatException($"the \"auth\" of {entry.Name} is not base64 of user:password");
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new FormatException($"the \"auth\" of {entry.Name} is not base64 of user:password");
            }

            username = decoded[..colon];
            password = decoded[(colon + 1)..];
        }

        return new RegistryCredential(entry.Name, username, password, Text("identitytoken"));
    }
}
