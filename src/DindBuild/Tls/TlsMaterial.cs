using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DindBuild.IO;

namespace DindBuild.Tls;

/// <summary>
/// A CA, a server certificate and a client certificate for a daemon's <c>--tlsverify</c> endpoint,
/// made in-process with ECDSA P-256 (milliseconds, where docker:dind's RSA-4096 takes seconds), and
/// written in the layout the docker CLI reads from <c>DOCKER_CERT_PATH</c>: ca.pem, cert.pem, key.pem.
/// </summary>
internal sealed class TlsMaterial : IDisposable
{
    private static readonly TimeSpan Validity = TimeSpan.FromDays(825);

    private TlsMaterial(X509Certificate2 authority, X509Certificate2 server, X509Certificate2 client)
    {
        Authority = authority;
        Server = server;
        Client = client;
    }

    public X509Certificate2 Authority { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    public static TlsMaterial Generate(string name, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest($"CN={name} CA", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, false));
        var authority = authorityRequest.CreateSelfSigned(notBefore, notBefore + Validity);

        var sans = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            sans.AddDnsName(dns);
        }

        foreach (var address in addresses.Distinct())
        {
            sans.AddIpAddress(address);
        }

        var server = Issue(authority, $"CN={name}", "1.3.6.1.5.5.7.3.1", sans.Build(), notBefore);
        var client = Issue(authority, $"CN={name} client", "1.3.6.1.5.5.7.3.2", null, notBefore);
        return new TlsMaterial(authority, server, client);
    }

    /// <summary>ca.pem, cert.pem (server) and key.pem, for dockerd's --tlscacert/--tlscert/--tlskey.</summary>
    public void WriteServerDirectory(string directory) => Write(directory, Server);

    /// <summary>ca.pem, cert.pem (client) and key.pem: a DOCKER_CERT_PATH.</summary>
    public void WriteClientDirectory(string directory) => Write(directory, Client);

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
        Client.Dispose();
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string subject, string extendedUsage, X509Extension? subjectAlternativeNames, DateTimeOffset notBefore)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedUsage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        if (subjectAlternativeNames is not null)
        {
            request.CertificateExtensions.Add(subjectAlternativeNames);
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(authority, notBefore, notBefore + Validity, serial);
        return issued.CopyWithPrivateKey(key);
    }

    private void Write(string directory, X509Certificate2 leaf)
    {
        PrivateFiles.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "ca.pem"), Authority.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(directory, "cert.pem"), leaf.ExportCertificatePem() + "\n");
        using var key = leaf.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the certificate has no ECDSA private key");
        PrivateFiles.WriteAllText(Path.Combine(directory, "key.pem"), key.ExportPkcs8PrivateKeyPem() + "\n");
    }
}
