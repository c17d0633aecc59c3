using DindBuild.Diagnostics;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using DindBuild.Trust;

namespace DindBuild.Tests.Integration;

/// <summary>
/// --trust-host-ca and --extra-ca-cert against real daemons: this machine's egress proxy re-signs TLS with a CA
/// only the host trusts, so HTTPS from a container fails unless DindBuild hands that CA on; and a registry with a
/// test CA's certificate, which the DinD daemon can pull from only when given that CA.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class TrustedCaTests(EngineFixture engine)
{
    /// <summary>Python's ssl is OpenSSL's: it reads SSL_CERT_FILE. Writes "200 3.0.0" or the error to the file named.</summary>
    private const string FetchNuGetIndex = """
        import json, sys, urllib.request
        try:
            r = urllib.request.urlopen("https://api.nuget.org/v3/index.json", timeout=60)
            out = "%d %s" % (r.status, json.load(r)["version"])
        except Exception as e:
            out = repr(e)
        open(sys.argv[1], "w").write(out + "\n")
        """;

    /// <summary>
    /// A build step that fetches the same URL trusting only the CA bundle DindBuild offers as a build secret (the
    /// README's pattern); the nonce keeps the step out of the build cache (a secret is not part of its key).
    /// </summary>
    private const string Dockerfile = """
        FROM dindbuild/python:trixie
        COPY fetch.py /fetch.py
        ARG NONCE
        RUN --mount=type=secret,id=dindbuild-ca-bundle,target=/run/secrets/ca.crt \
            echo "$NONCE" > /dev/null && SSL_CERT_FILE=/run/secrets/ca.crt python3 /fetch.py /fetch-build.txt
        """;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("dind")]
    [InlineData("dood")]
    public async Task The_test_container_reaches_NuGet_through_the_proxy_with_trust_host_ca_and_fails_without(string mode)
    {
        engine.RequireEngine();
        using var trusting = new TempDirectory();
        using var plain = new TempDirectory();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), Dockerfile, Cancel);
        await File.WriteAllTextAsync(context.Combine("fetch.py"), FetchNuGetIndex, Cancel);

        var withCa = await FetchAsync(mode, context, trusting, "--trust-host-ca");
        var without = await FetchAsync(mode, context, plain);

        Assert.True(withCa.ExitCode == 0, withCa.Output);
        Assert.Equal("200 3.0.0", (await File.ReadAllTextAsync(trusting.Combine("fetch.txt"), Cancel)).Trim());
        Assert.Contains(withCa.Lines, line => line.Contains("Test container trusts", StringComparison.Ordinal) && line.Contains("SSL_CERT_FILE", StringComparison.Ordinal));
        Assert.Contains(
            withCa.Lines,
            line => mode == "dind"
                ? line.Contains("The DinD daemon trusts", StringComparison.Ordinal)
                : line.Contains("the dood daemon is not DindBuild's", StringComparison.Ordinal));

        Assert.True(without.ExitCode == 0, without.Output);
        Assert.Contains("CERTIFICATE_VERIFY_FAILED", await File.ReadAllTextAsync(plain.Combine("fetch.txt"), Cancel), StringComparison.Ordinal);

        // The build step: the bundle as the build secret dindbuild-ca-bundle makes the fetch work; without it, it fails.
        Assert.Contains(withCa.Lines, line => line.Contains("Build secrets", StringComparison.Ordinal) && line.Contains(CaBundle.BuildSecretId, StringComparison.Ordinal));
        Assert.Equal("200 3.0.0", (await File.ReadAllTextAsync(trusting.Combine("fetch-build.txt"), Cancel)).Trim());
        Assert.Contains("CERTIFICATE_VERIFY_FAILED", await File.ReadAllTextAsync(plain.Combine("fetch-build.txt"), Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_DinD_daemon_pulls_from_a_registry_signed_by_an_extra_CA_and_refuses_it_without()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var files = new TempDirectory();
        const string registryName = "registry.test";
        var caFile = files.Combine("test-ca.pem");
        var (registry, published) = await TestRegistry.StartAsync(harness, registryName, caFile);

        // The host engine takes 127.0.0.1 for an insecure registry (no verification): the push needs no CA there.
        var pushed = $"{published}/tiny:{harness.Id}";
        await TinyImageAsync(harness, pushed);
        await Harness.WaitUntilAsync(registry, () => DockerCli.RunAsync(["push", pushed]), TimeSpan.FromSeconds(60));
        await DockerCli.OutputAsync(["rmi", pushed]);

        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"FROM {registryName}:{TestRegistry.Port}/tiny:{harness.Id}\n", Cancel);

        var trusted = await BuildFromRegistryAsync(context, registry, registryName, extraCa: caFile);
        var untrusted = await BuildFromRegistryAsync(context, registry, registryName, extraCa: null);

        Assert.Null(trusted.Error);
        Assert.Equal(trusted.BuiltId, trusted.InnerImageId);
        var refused = Assert.IsType<DindBuildException>(untrusted.Error);
        Assert.Contains("certificate signed by unknown authority", refused.ToString(), StringComparison.Ordinal);
        Assert.Null(untrusted.InnerImageId);
        var registryLog = await DockerCli.RunAsync(["logs", registry]);
        Assert.Contains($"/v2/tiny/manifests/{harness.Id}", registryLog.StandardOutput + registryLog.StandardError, StringComparison.Ordinal);
    }

    private static async Task<BuildScriptResult> FetchAsync(string mode, TempDirectory context, TempDirectory artifacts, params string[] extra) =>
        await BuildScript.RunAsync(
        [
            "DindTest", "--docker-mode", mode, "--session-id", BuildScript.NewSessionId(), "--artifacts-dir", artifacts.Path,
            "--context", context.Path, "--build-arg", "NONCE=" + Guid.NewGuid().ToString("N"), "--test-report", "optional",
            "--test-command", "cp /fetch-build.txt /artifacts/ && python3 /fetch.py /artifacts/fetch.txt", .. extra,
        ]);

    /// <summary>
    /// StartDaemon, WaitForDaemon and BuildImage of a Dockerfile whose FROM is only in the registry (no seeding: the
    /// host engine does not have it), with the registry joined to the session's network under its certificate's name.
    /// </summary>
    private static async Task<(Exception? Error, string? BuiltId, string? InnerImageId)> BuildFromRegistryAsync(TempDirectory context, string registry, string registryName, string? extraCa)
    {
        var settings = new DindSettings(RepositoryRoot.Path).WithContextDirectory(context.Path).WithDockerMode(DockerMode.Dind);
        settings = settings.WithImageTag($"dindbuild-test-ca-{settings.SessionId}:latest");
        if (extraCa is not null)
        {
            settings = settings.WithExtraCaCertificates(CaCertificateFile.Load(extraCa, DateTimeOffset.UtcNow));
        }

        await using var pipeline = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        await pipeline.StartDaemonAsync(Cancel);
        await pipeline.WaitForDaemonAsync(Cancel);
        var network = SessionNames.Network(settings.SessionId);
        await DockerCli.OutputAsync(["network", "connect", "--alias", registryName, network, registry]);
        try
        {
            Exception? error = null;
            try
            {
                await pipeline.BuildImageAsync(Cancel);
            }
            catch (DindBuildException ex)
            {
                error = ex;
            }

            var inner = await DockerCli.RunAsync(["image", "inspect", "--format", "{{.Id}}", settings.ImageTag], environment: DockerCli.EnvironmentFor(pipeline.State.Daemon!.Endpoint));
            return (error, pipeline.State.BuiltImageId, inner.ExitCode == 0 ? inner.StandardOutput.Trim() : null);
        }
        finally
        {
            // The session's network is removed with it, which a connected container would prevent.
            await DockerCli.RunAsync(["network", "disconnect", "--force", network, registry]);
        }
    }

    private static async Task TinyImageAsync(Harness harness, string image)
    {
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("pulled.txt"), "from-the-registry\n", Cancel);
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM scratch\nCOPY pulled.txt /pulled.txt\n", Cancel);
        await DockerCli.OutputAsync(["build", "-q", "--label", harness.Label, "-t", image, context.Path]);
        harness.RemoveImageAfterwards(image);
    }
}
