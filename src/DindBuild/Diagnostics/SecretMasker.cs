namespace DindBuild.Diagnostics;

/// <summary>
/// Values that must never be shown — registry passwords, test environment values whose names look
/// secret — replaced by <c>***</c> wherever DindBuild writes text: log lines and error messages.
/// </summary>
public sealed class SecretMasker
{
    public const string Mask = "***";

    /// <summary>Shorter values would mask ordinary words and numbers all over the log.</summary>
    private const int MinimumLength = 4;

    private static readonly string[] SecretNameParts = ["TOKEN", "PASSWORD", "PASSWD", "SECRET", "KEY", "CREDENTIAL"];

    private readonly Lock _gate = new();
    private string[] _secrets = [];

    public bool IsEmpty => _secrets.Length == 0;

    /// <summary>Names like <c>API_TOKEN</c>, <c>DB_PASSWORD</c>, <c>CLIENT_SECRET</c>, <c>SSH_KEY</c>.</summary>
    public static bool LooksSecret(string name) =>
        SecretNameParts.Any(part => name.Contains(part, StringComparison.OrdinalIgnoreCase));

    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < MinimumLength)
        {
            return;
        }

        lock (_gate)
        {
            // Longest first, so a secret that contains another is masked whole.
            _secrets = [.. _secrets.Append(secret).Distinct().OrderByDescending(value => value.Length)];
        }
    }

    public string Apply(string text)
    {
        var secrets = _secrets;
        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    public bool Reveals(string? text) => text is not null && _secrets.Any(secret => text.Contains(secret, StringComparison.Ordinal));
}
