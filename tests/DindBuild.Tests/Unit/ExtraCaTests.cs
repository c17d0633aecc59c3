using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;
using DindBuild.Diagnostics;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using DindBuild.Trust;

namespace DindBuild.Tests.Unit;

/// <summary>--extra-ca-cert and --trust-host-ca: validation when read, and the bundle composed from them.</summary>
public sealed class ExtraCaTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void A_valid_CA_file_is_read_with_every_certificate_in_it()
    {
        using var files = new TempDirectory();
        using var first = TestCertificates.SelfSigned("First CA");
        using var second = TestCertificates.SelfSigned("Second CA");
        var path = files.Combine("cas.pem");
        File.WriteAllText(path, "# a comment line, as bundles have\n" + TestCertificates.Pem(first) + TestCertificates.Pem(second));

        var bundle = CaCertificateFile.Load(path, Now);

        Assert.Equal([first.RawData, second.RawData], bundle.Certificates.Select(der => der.ToArray()));
    }

    [Fact]
    public void A_missing_file_a_directory_and_non_PEM_text_are_refused_saying_which()
    {
        using var files = new TempDirectory();
        File.WriteAllBytes(files.Combine("ca.der"), [0x30, 0x82, 0x01, 0x0a, 0x00, 0x01]);
        File.WriteAllText(files.Combine("notes.txt"), "just some text\n");
        using var ca = TestCertificates.SelfSigned("Keyed CA");
        File.WriteAllText(files.Combine("key.pem"), ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        Assert.Contains("does not exist", Refusal(files.Combine("missing.pem")), StringComparison.Ordinal);
        Assert.Contains("is a directory", Refusal(files.Path), StringComparison.Ordinal);
        Assert.Contains("openssl x509 -inform der", Refusal(files.Combine("ca.der")), StringComparison.Ordinal);
        Assert.Contains("no '-----BEGIN CERTIFICATE-----' block", Refusal(files.Combine("notes.txt")), StringComparison.Ordinal);
        Assert.Contains("only PEM blocks labelled PRIVATE KEY", Refusal(files.Combine("key.pem")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_leaf_a_certificate_without_constraints_an_expired_and_a_future_CA_are_refused()
    {
        using var files = new TempDirectory();
        using var leaf = TestCertificates.SelfSigned("leaf.example", isCa: false);
        using var bare = TestCertificates.SelfSigned("Bare", withConstraints: false);
        using var expired = TestCertificates.SelfSigned("Old CA", notBefore: Now.AddDays(-60), notAfter: Now.AddDays(-1));
        using var future = TestCertificates.SelfSigned("Future CA", notBefore: Now.AddDays(2), notAfter: Now.AddDays(60));
        using var good = TestCertificates.SelfSigned("Good CA");

        Assert.Contains("('CN=leaf.example') is not a CA certificate (basic constraints CA:FALSE)", Refusal(Write(files, "leaf.pem", leaf)), StringComparison.Ordinal);
        Assert.Contains("is not a CA certificate (no basic constraints)", Refusal(Write(files, "bare.pem", bare)), StringComparison.Ordinal);
        Assert.Contains("('CN=Old CA') expired on", Refusal(Write(files, "old.pem", expired)), StringComparison.Ordinal);
        Assert.Contains("is not valid before", Refusal(Write(files, "future.pem", future)), StringComparison.Ordinal);

        // One bad certificate among good ones is named by its place in the file.
        Assert.Contains("(certificate 2 of 2) ('CN=Old CA') expired", Refusal(Write(files, "mixed.pem", good, expired)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_parameter_reads_each_file_relative_to_the_repository_root_and_reports_every_bad_one_before_anything_starts()
    {
        using var repository = new TempDirectory();
        using var first = TestCertificates.SelfSigned("Proxy CA");
        using var second = TestCertificates.SelfSigned("Registry CA");
        using var leaf = TestCertificates.SelfSigned("leaf", isCa: false);
        Write(repository, "proxy.pem", first);
        Write(repository, "registry.pem", second, first);
        Write(repository, "leaf.pem", leaf);

        var settings = DindParameters.Read(repository.Path, Given("extra-ca-cert", "proxy.pem", "registry.pem"), _ => null);

        // De-duplicated: the proxy CA is in both files.
        Assert.Equal([first.RawData, second.RawData], settings.ExtraCaCertificates.Certificates.Select(der => der.ToArray()));
        Assert.False(settings.TrustHostCa);

        var error = Assert.Throws<DindBuildException>(() => DindParameters.Read(repository.Path, Given("extra-ca-cert", "leaf.pem", "absent.pem"), _ => null));
        Assert.Equal(FailureKind.BadParameters, error.Kind);
        Assert.Contains("--extra-ca-cert: " + repository.Combine("leaf.pem") + " ('CN=leaf') is not a CA certificate", error.Evidence, StringComparison.Ordinal);
        Assert.Contains("--extra-ca-cert: " + repository.Combine("absent.pem") + " does not exist", error.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_and_the_parameters_file_give_the_files_as_other_repeatable_parameters()
    {
        using var repository = new TempDirectory();
        using var first = TestCertificates.SelfSigned("Env CA 1");
        using var second = TestCertificates.SelfSigned("Env CA 2");
        Write(repository, "a.pem", first);
        Write(repository, "b.pem", second);

        var fromEnvironment = DindParameters.Read(repository.Path, _ => [], name => name == "DINDBUILD_EXTRA_CA_CERT" ? "a.pem;b.pem" : null);
        File.WriteAllText(repository.Combine(ParametersFile.FileName), """{ "extra-ca-cert": ["b.pem"] }""");
        var fromFile = DindParameters.Read(repository.Path, _ => [], _ => null);

        Assert.Equal(2, fromEnvironment.ExtraCaCertificates.Count);
        Assert.Equal([second.RawData], fromFile.ExtraCaCertificates.Certificates.Select(der => der.ToArray()));
    }

    [Fact]
    public void The_host_bundle_is_SSL_CERT_FILE_else_the_first_known_file_and_none_found_is_said_plainly()
    {
        using var files = new TempDirectory();
        using var ca = TestCertificates.SelfSigned("Host CA");
        using var other = TestCertificates.SelfSigned("Other CA");
        var debian = Write(files, "ca-certificates.crt", ca, ca);
        var alpine = Write(files, "cert.pem", other);

        Assert.Equal([ca.RawData], HostCaBundle.Load(null, [files.Combine("absent"), debian, alpine]).Certificates.Select(der => der.ToArray()));
        Assert.Equal([other.RawData], HostCaBundle.Load(alpine, [debian]).Certificates.Select(der => der.ToArray()));

        var none = Assert.Throws<FormatException>(() => HostCaBundle.Load(null, [files.Combine("a"), files.Combine("b")]));
        Assert.Contains($"no CA bundle found on this host (SSL_CERT_FILE is not set; looked for {files.Combine("a")}, {files.Combine("b")})", none.Message, StringComparison.Ordinal);
        Assert.Contains("--extra-ca-cert FILE", none.Message, StringComparison.Ordinal);
        Assert.Contains("SSL_CERT_FILE names", Assert.Throws<FormatException>(() => HostCaBundle.Load(files.Combine("gone.pem"), [debian])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Go_and_OpenSSL_bundle_locations_are_searched_in_Gos_order()
    {
        Assert.Equal("/etc/ssl/certs/ca-certificates.crt", HostCaBundle.KnownFiles[0]);
        Assert.Contains("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", HostCaBundle.KnownFiles);
        Assert.Equal("/etc/ssl/cert.pem", HostCaBundle.KnownFiles[^1]);
    }

    [Fact]
    public void The_composed_bundle_keeps_the_order_drops_duplicates_and_junk_and_round_trips_as_PEM()
    {
        using var files = new TempDirectory();
        using var system = TestCertificates.SelfSigned("System root");
        using var extra = TestCertificates.SelfSigned("Extra CA");
        var image = CaBundle.ParseLenient(
            TestCertificates.Pem(system) + "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n" + TestCertificates.Pem(extra));

        var composed = image.Add(CaBundle.Of([[.. extra.RawData]]));
        var path = files.Combine("bundle.pem");
        composed.WriteTo(path);

        Assert.Equal([system.RawData, extra.RawData], composed.Certificates.Select(der => der.ToArray()));
        var reread = new X509Certificate2Collection();
        reread.ImportFromPemFile(path);
        Assert.Equal(["CN=System root", "CN=Extra CA"], reread.Select(certificate => certificate.Subject));
        Assert.Equal(composed.ToPemBytes(), File.ReadAllBytes(path));
        Assert.Equal("dindbuild-ca-bundle", CaBundle.BuildSecretId);
    }

    [Fact]
    public void The_test_container_gets_the_variables_but_keeps_one_the_user_set()
    {
        var environment = TestContainerTrust.WithVariables(["A=1", "REQUESTS_CA_BUNDLE=/mine.pem"]);

        Assert.Equal(
            ["A=1", "REQUESTS_CA_BUNDLE=/mine.pem", "SSL_CERT_FILE=/dindbuild-ca/ca-certificates.crt", "CURL_CA_BUNDLE=/dindbuild-ca/ca-certificates.crt", "GIT_SSL_CAINFO=/dindbuild-ca/ca-certificates.crt", "NODE_EXTRA_CA_CERTS=/dindbuild-ca/extra-ca-certificates.crt"],
            environment);
    }

    private static string Refusal(string path) => Assert.Throws<FormatException>(() => CaCertificateFile.Load(path, Now)).Message;

    private static string Write(TempDirectory directory, string name, params X509Certificate2[] certificates)
    {
        var path = directory.Combine(name);
        File.WriteAllText(path, string.Concat(certificates.Select(TestCertificates.Pem)));
        return path;
    }

    private static Func<string, IReadOnlyList<string>> Given(string name, params string[] values) =>
        parameter => parameter == name ? values : ImmutableArray<string>.Empty;
}
