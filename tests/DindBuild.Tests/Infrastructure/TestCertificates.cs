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
        // Within the CA's validity: computed from "now" again, 30 days on could be a second past the CA's own end.
        var notBefore = new DateTimeOffset(ca.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(ca.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        using var signed = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    public static string Pem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    public static string KeyPem(X509Certificate2 certificate) => certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>Whether <paramref name="leaf"/> chains to <paramref name="authority"/> alone (no system roots, no revocation check).</summary>
    public static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
