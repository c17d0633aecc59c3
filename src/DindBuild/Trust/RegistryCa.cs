using System.Text.RegularExpressions;

namespace DindBuild.Trust;

/// <summary>
/// One <c>--registry-ca HOST=FILE</c>: a CA the DinD daemon trusts for that registry only, as
/// <c>/etc/docker/certs.d/HOST/ca.crt</c> — dockerd's own per-registry trust, read at each pull and push, which
/// unlike <c>--extra-ca-cert</c> trusts the CA for nothing else (not other hosts, not the test container).
/// </summary>
/// <param name="Host">The registry as image references name it, <c>host[:port]</c>: the <c>certs.d</c> directory's name.</param>
/// <param name="Certificates">The file's certificates, each checked to be a CA valid today.</param>
public sealed partial record RegistryCa(string Host, CaBundle Certificates)
{
    /// <summary>Parses and checks <c>HOST=FILE</c> (FILE through <paramref name="resolvePath"/>); <see cref="FormatException"/> says what is wrong.</summary>
    public static RegistryCa Parse(string value, Func<string, string> resolvePath, DateTimeOffset now)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || equals == value.Length - 1)
        {
            throw new FormatException($"'{value}' is not HOST=FILE, e.g. registry.internal:5000=certs/registry-ca.pem");
        }

        var host = value[..equals].Trim();
        if (!HostPattern().IsMatch(host))
        {
            throw new FormatException($"'{host}' is not a registry host[:port] as image references name it (no scheme, no path), e.g. registry.internal:5000");
        }

        return new RegistryCa(host, CaCertificateFile.Load(resolvePath(value[(equals + 1)..].Trim()), now));
    }

    /// <summary>The directory under <c>certs.d</c>; a port's ':' is part of the name, as dockerd looks it up.</summary>
    public string DirectoryName => Host;

    [GeneratedRegex(@"^(?=.{1,253}(:|$))[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]{1,5})?$")]
    private static partial Regex HostPattern();
}
