using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DindBuild.Trust;

/// <summary>
/// Certificates to trust, in order, without duplicates (the same DER bytes once), written as PEM: what
/// <c>--extra-ca-cert</c> and <c>--trust-host-ca</c> compose, and what the private daemon, the test container
/// and (once build secrets exist) build steps get. <see cref="ToPemBytes"/> and <see cref="WriteTo"/> are the
/// bundle as bytes and as a file, e.g. for a build secret named <see cref="BuildSecretId"/>.
/// </summary>
public sealed class CaBundle
{
    /// <summary>The build secret the bundle is meant to be offered as: <c>RUN --mount=type=secret,id=dindbuild-ca-bundle,…</c>.</summary>
    public const string BuildSecretId = "dindbuild-ca-bundle";

    /// <summary>The most certificates read from one PEM text (a system bundle has about 150).</summary>
    internal const int MaxCertificates = 10_000;

    private const string CertificateLabel = "CERTIFICATE";

    private CaBundle(ImmutableArray<ImmutableArray<byte>> certificates) => Certificates = certificates;

    public static CaBundle Empty { get; } = new([]);

    /// <summary>Each certificate's DER bytes, in the order given, none twice.</summary>
    public ImmutableArray<ImmutableArray<byte>> Certificates { get; }

    public bool IsEmpty => Certificates.IsEmpty;

    public int Count => Certificates.Length;

    /// <summary>This bundle, then those of <paramref name="other"/> that it does not hold yet.</summary>
    public CaBundle Add(CaBundle other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Of(Certificates.Concat(other.Certificates));
    }

    /// <summary>The bundle of these DER certificates, duplicates dropped (the first one kept).</summary>
    internal static CaBundle Of(IEnumerable<ImmutableArray<byte>> certificates)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = ImmutableArray.CreateBuilder<ImmutableArray<byte>>();
        foreach (var der in certificates)
        {
            if (seen.Add(Convert.ToHexString(SHA256.HashData(der.AsSpan()))))
            {
                kept.Add(der);
            }
        }

        return new CaBundle(kept.ToImmutable());
    }

    /// <summary>
    /// Every CERTIFICATE block of <paramref name="pem"/> that parses as X.509, the others skipped: for text
    /// DindBuild does not vouch for (an image's system bundle is hostile input), never for user files.
    /// </summary>
    internal static CaBundle ParseLenient(string pem)
    {
        var found = new List<ImmutableArray<byte>>();
        foreach (var (label, der) in PemBlocks(pem))
        {
            if (label != CertificateLabel || found.Count >= MaxCertificates)
            {
                continue;
            }

            try
            {
                using var _ = X509CertificateLoader.LoadCertificate(der);
                found.Add([.. der]);
            }
            catch (CryptographicException)
            {
                // Not a certificate this runtime reads: it would not be trusted by anyone else either.
            }
        }

        return Of(found);
    }

    /// <summary>The PEM blocks of a text as (label, DER bytes); blocks whose base64 is broken are skipped.</summary>
    internal static IEnumerable<(string Label, byte[] Der)> PemBlocks(string text)
    {
        var rest = text.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var label = rest.Span[fields.Label].ToString();
            var der = new byte[fields.DecodedDataLength];
            var decoded = Convert.TryFromBase64Chars(rest.Span[fields.Base64Data], der, out _);
            rest = rest[fields.Location.End..];
            if (decoded)
            {
                yield return (label, der);
            }
        }
    }

    public string ToPem()
    {
        var text = new StringBuilder();
        foreach (var der in Certificates)
        {
            text.Append(PemEncoding.Write(CertificateLabel, der.AsSpan())).Append('\n');
        }

        return text.ToString();
    }

    public byte[] ToPemBytes() => Encoding.ASCII.GetBytes(ToPem());

    /// <summary>Writes the bundle to <paramref name="path"/> (world-readable: certificates are public), replacing it whole.</summary>
    public void WriteTo(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, ToPemBytes());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
