using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DindBuild.Trust;

/// <summary>
/// Reads a <c>--extra-ca-cert</c> file and refuses it, with the reason, unless every certificate in it is a CA
/// certificate valid today: a wrong file given here would otherwise show up much later as a TLS error deep in
/// a pull or a restore, or not at all (an expired CA verifies nothing).
/// </summary>
internal static class CaCertificateFile
{
    /// <summary>Far more than any CA file; a bound on what is read at parameter time.</summary>
    public const long MaxBytes = 16L << 20;

    /// <exception cref="FormatException">What is wrong with the file, and how to fix it.</exception>
    public static CaBundle Load(string path, DateTimeOffset now)
    {
        var text = Read(path);
        var blocks = CaBundle.PemBlocks(text).ToList();
        var certificates = blocks.Where(block => block.Label == "CERTIFICATE").Select(block => block.Der).ToList();
        if (certificates.Count == 0)
        {
            throw new FormatException(blocks.Count > 0
                ? $"{path} holds no certificate, only PEM blocks labelled {string.Join(", ", blocks.Select(block => block.Label).Distinct())}; give the CA's certificate (-----BEGIN CERTIFICATE-----)"
                : LooksBinary(text)
                    ? $"{path} is not PEM (it looks binary, perhaps DER); convert it with 'openssl x509 -inform der -in {path} -out ca.pem'"
                    : $"{path} is not a PEM certificate: no '-----BEGIN CERTIFICATE-----' block in it");
        }

        for (var i = 0; i < certificates.Count; i++)
        {
            Check(path, certificates.Count == 1 ? "" : $" (certificate {i + 1} of {certificates.Count})", certificates[i], now);
        }

        return CaBundle.Of(certificates.Select(der => System.Collections.Immutable.ImmutableArray.Create(der)));
    }

    private static string Read(string path)
    {
        if (Directory.Exists(path))
        {
            throw new FormatException($"{path} is a directory; give a PEM file holding the CA certificate");
        }

        if (!File.Exists(path))
        {
            throw new FormatException($"{path} does not exist (relative paths are under the repository root)");
        }

        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length > MaxBytes)
            {
                throw new FormatException($"{path} is {stream.Length} bytes, more than a CA certificate file can be ({MaxBytes} bytes)");
            }

            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{path} cannot be read: {ex.Message}");
        }
    }

    private static void Check(string path, string which, byte[] der, DateTimeOffset now)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            throw new FormatException($"{path}{which} is not a readable X.509 certificate: {ex.Message}");
        }

        using (certificate)
        {
            var subject = certificate.Subject.Length == 0 ? "(empty subject)" : certificate.Subject;
            var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            if (constraints is not { CertificateAuthority: true })
            {
                throw new FormatException(
                    $"{path}{which} ('{subject}') is not a CA certificate ({(constraints is null ? "no basic constraints" : "basic constraints CA:FALSE")}): " +
                    "a server or leaf certificate cannot be trusted as an issuer; give the certificate of the CA that signs it (for a TLS-inspecting proxy: its root CA)");
            }

            if (certificate.NotAfter.ToUniversalTime() < now.UtcDateTime)
            {
                throw new FormatException($"{path}{which} ('{subject}') expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC; give the CA's current certificate");
            }

            if (certificate.NotBefore.ToUniversalTime() > now.UtcDateTime)
            {
                throw new FormatException($"{path}{which} ('{subject}') is not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC; check the clock, or give a certificate valid now");
            }
        }
    }

    private static bool LooksBinary(string text) => text.Take(512).Any(c => c == '\0' || (char.IsControl(c) && c is not ('\n' or '\r' or '\t')));
}
