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
            if (!document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("a docker config.json with an \"auths\" object is expected");
            }

            return auths.EnumerateObject().Select(Read).ToList();
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
