using System.Globalization;

namespace DindBuild.Settings;

/// <summary>Parses parameter text the way CI users write it: <c>90s</c>, <c>5m</c>, <c>512MiB</c>, <c>true</c>.</summary>
internal static class ParameterValues
{
    public static TimeSpan Duration(string text)
    {
        var value = text.Trim();
        (string number, double scale) = value switch
        {
            _ when value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (value[..^2], 0.001),
            _ when value.EndsWith('s') || value.EndsWith('S') => (value[..^1], 1),
            _ when value.EndsWith('m') || value.EndsWith('M') => (value[..^1], 60),
            _ when value.EndsWith('h') || value.EndsWith('H') => (value[..^1], 3600),
            _ => (value, 1),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            throw new FormatException($"'{text}' is not a duration; write e.g. 90s, 5m, 1h or a number of seconds");
        }

        return TimeSpan.FromSeconds(amount * scale);
    }

    public static long Size(string text)
    {
        var value = text.Trim();
        string[] units = ["KiB", "MiB", "GiB", "TiB", "K", "M", "G", "T", "B"];
        var unit = units.FirstOrDefault(u => value.EndsWith(u, StringComparison.OrdinalIgnoreCase));
        var number = unit is null ? value : value[..^unit.Length];
        var exponent = unit is null or "B" ? 0 : "KMGT".IndexOf(char.ToUpperInvariant(unit[0]), StringComparison.Ordinal) + 1;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            throw new FormatException($"'{text}' is not a size; write e.g. 500MiB, 2GiB or a number of bytes");
        }

        return (long)(amount * Math.Pow(1024, exponent));
    }

    public static bool Boolean(string text) => text.Trim().ToLowerInvariant() switch
    {
        "" or "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new FormatException($"'{text}' is not true or false"),
    };

    public static TEnum Enum<TEnum>(string text)
        where TEnum : struct, Enum
    {
        if (System.Enum.TryParse<TEnum>(text.Trim(), ignoreCase: true, out var value) && System.Enum.IsDefined(value))
        {
            return value;
        }

        throw new FormatException($"'{text}' is not one of {Names<TEnum>()}");
    }

    public static string Names<TEnum>()
        where TEnum : struct, Enum => string.Join("|", System.Enum.GetNames<TEnum>().Select(name => name.ToLowerInvariant()));

    public static (string Name, string Value) NameValue(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new FormatException($"'{text}' is not NAME=VALUE");
        }

        return (text[..equals], text[(equals + 1)..]);
    }

    public static string Duration(TimeSpan value) =>
        value.TotalSeconds % 60 == 0 ? $"{value.TotalMinutes:0}m" : $"{value.TotalSeconds:0.###}s";

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30}GiB",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20}MiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture),
    };
}
