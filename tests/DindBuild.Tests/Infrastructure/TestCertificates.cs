using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Real certificates made in the test (ECDSA P-256): CAs, expired or not, and leaves they sign.</summary>
internal static class TestCertificates
{
    /// <summary>A self-signed certificate; <paramref name="isCa"/> false gives one with CA:FALSE, <paramref name="withConstraints"/> false none at all.</summary>
    public static X509Certificate2 SelfSigned(string commonName, bool isCa = true, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool withConstraints = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        if (withConstraints)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, true));
        }

        if (isCa)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        }

        return request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A TLS server certificate for <paramref name="dnsName"/> signed by <paramref name="ca"/> (which must hold its key), with its key.</summary>
    public static X509Certificate2 Server(X509Certificate2 ca, string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        // A day short of the CA's 30: signed a second later, the same 30 days would end after the CA and be refused.
        using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    public static string Pem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    public static string KeyPem(X509Certificate2 certificate) => certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n";
}
