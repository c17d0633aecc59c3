namespace DindBuild.Trust;

/// <summary>
/// The host's own CA bundle, for <c>--trust-host-ca</c>, found as Go's crypto/x509 finds it on Linux:
/// <c>SSL_CERT_FILE</c> when set, else the first of the distributions' bundle files that exists. That is
/// where Debian's and RHEL's tools put a CA added to the system store (update-ca-certificates,
/// update-ca-trust), such as a TLS-inspecting proxy's.
/// </summary>
internal static class HostCaBundle
{
    /// <summary>Go's list (crypto/x509/root_linux.go), in its order; OpenSSL's default file is the first on Debian.</summary>
    public static IReadOnlyList<string> KnownFiles { get; } =
    [
        "/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
        "/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
        "/etc/ssl/ca-bundle.pem",                            // openSUSE
        "/etc/pki/tls/cacert.pem",                           // OpenELEC
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7 and later
        "/etc/ssl/cert.pem",                                 // Alpine
    ];

    /// <summary>The host's bundle: from <c>SSL_CERT_FILE</c> or the first of <paramref name="candidates"/> that exists.</summary>
    /// <exception cref="FormatException">No bundle found, or none with a certificate in it; says where it looked.</exception>
    public static CaBundle Load(string? sslCertFile, IReadOnlyList<string> candidates)
    {
        var tried = new List<string>();
        foreach (var path in sslCertFile is { Length: > 0 } ? [sslCertFile] : candidates)
        {
            tried.Add(path);
            if (!File.Exists(path))
            {
                continue;
            }

            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new FormatException($"the host's CA bundle {path} cannot be read: {ex.Message}");
            }

            var bundle = CaBundle.ParseLenient(text);
            return bundle.IsEmpty
                ? throw new FormatException($"the host's CA bundle {path} holds no certificate; give the CA with --extra-ca-cert FILE instead")
                : bundle;
        }

        throw new FormatException(
            $"no CA bundle found on this host ({(sslCertFile is { Length: > 0 } ? "SSL_CERT_FILE names" : "SSL_CERT_FILE is not set; looked for")} {string.Join(", ", tried)}); " +
            "give the proxy's CA with --extra-ca-cert FILE instead, or install the distribution's ca-certificates package");
    }

    public static CaBundle Load() => Load(Environment.GetEnvironmentVariable("SSL_CERT_FILE"), KnownFiles);
}
