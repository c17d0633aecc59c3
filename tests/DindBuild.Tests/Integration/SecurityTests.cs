using System.Net;
using System.Security.Cryptography.X509Certificates;
using DindBuild.Diagnostics;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;
using DindBuild.Tls;

namespace DindBuild.Tests.Integration;

/// <summary>The attacks the security model claims to stop, tried for real against a DinD daemon.</summary>
[Collection(EngineCollection.Isolated)]
public sealed class SecurityTests(EngineFixture engine)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_TLS_endpoint_is_on_loopback_only_and_refuses_every_client_but_ours()
    {
        engine.RequireEngine();
        await using var pipeline = DindSession.Create(new DindSettings(RepositoryRoot.Path), EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        await pipeline.StartDaemonAsync(Cancel);
        await pipeline.WaitForDaemonAsync(Cancel);
        var daemon = pipeline.State.Daemon!;
        var endpoint = daemon.Endpoint;
        var certificates = endpoint.TlsCertificateDirectory!;
        var ping = new Uri($"https://{endpoint.Uri.Authority}/_ping");

        var binding = await DockerCli.OutputAsync(["inspect", "--format", "{{range $port, $b := .NetworkSettings.Ports}}{{$port}} {{range $b}}{{.HostIp}} {{end}}{{end}}", daemon.ContainerId]);
        Assert.Equal("2376/tcp 127.0.0.1", binding.Trim());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(certificates));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certificates, "key.pem")));

        // The real docker CLI works with the exported environment.
        Assert.StartsWith("26.", await DockerCli.OutputAsync(["version", "--format", "{{.Server.Version}}"], environment: DockerCli.EnvironmentFor(endpoint)), StringComparison.Ordinal);

        using var authority = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(certificates, "ca.pem")));
        using var ours = X509Certificate2.CreateFromPemFile(Path.Combine(certificates, "cert.pem"), Path.Combine(certificates, "key.pem"));
        using var stranger = TlsMaterial.Generate("stranger", ["localhost"], [IPAddress.Loopback]);

        Assert.Equal("OK", await PingAsync(ping, authority, ours));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => PingAsync(ping, authority, clientCertificate: null));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => PingAsync(ping, authority, stranger.Client));
        var plain = await PlainHttpAsync(new Uri($"http://{endpoint.Uri.Authority}/_ping"));
        Assert.NotEqual("OK", plain);

        await pipeline.TeardownAsync();
        Assert.False(Directory.Exists(certificates), "the client certificate directory outlived the session");
    }

    [Fact]
    public async Task Containers_on_the_default_bridge_cannot_reach_the_daemon()
    {
        engine.RequireEngine();
        await using var pipeline = DindSession.Create(new DindSettings(RepositoryRoot.Path), EngineFixture.Log, SessionSteps.Services(EngineFixture.Log));
        await pipeline.StartDaemonAsync(Cancel);
        await pipeline.WaitForDaemonAsync(Cancel);
        var daemon = pipeline.State.Daemon!;
        var address = await DockerCli.OutputAsync(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", daemon.ContainerId]);
        string[] probe = ["python3", "-c", $"import socket; socket.create_connection(('{address}', 2376), timeout=3); print('connected')"];

        var fromSessionNetwork = await DockerCli.RunAsync(["run", "--rm", "--label", $"org.dindbuild.session={pipeline.Id}", "--network", daemon.Network, "dindbuild/python:trixie", .. probe]);
        var fromDefaultBridge = await DockerCli.RunAsync(["run", "--rm", "--label", $"org.dindbuild.session={pipeline.Id}", "dindbuild/python:trixie", .. probe]);

        Assert.Contains("connected", fromSessionNetwork.StandardOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, fromDefaultBridge.ExitCode);
        Assert.DoesNotContain("connected", fromDefaultBridge.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_capabilities_profile_keeps_proc_sys_read_only_and_inner_containers_still_run()
    {
        engine.RequireEngine();
        var settings = new DindSettings(RepositoryRoot.Path).WithPrivilegeProfile(PrivilegeProfile.Capabilities).WithTestCommand("python3 -c 'print(\"inner container ran\")'").WithTestReportRequired(false);
        var log = new CapturingLog(new SecretMasker());
        await using var pipeline = DindSession.Create(settings, log.Logger, SessionSteps.Services(log.Logger) with { Masker = log.Masker });
        await SessionSteps.StartAndBuildAsync(pipeline);
        var container = pipeline.State.Daemon!.ContainerId;

        var write = await DockerCli.RunAsync(["exec", container, "sh", "-c", "echo '|/bin/sh' > /proc/sys/kernel/core_pattern"]);
        var masked = await DockerCli.OutputAsync(["inspect", "--format", "{{json .HostConfig.MaskedPaths}}", container]);
        await pipeline.RunTestsAsync(Cancel);

        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.StandardError, StringComparison.Ordinal);
        Assert.Contains("/proc/kcore", masked, StringComparison.Ordinal);
        Assert.Contains("inner container ran", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Artifact_entries_that_would_escape_are_refused_and_the_rest_is_exported()
    {
        engine.RequireEngine();
        using var root = new TempDirectory();
        var artifacts = root.Combine("artifacts");
        var log = new CapturingLog(new SecretMasker());
        const string attack =
            "cd /artifacts && echo good > good.txt && mkdir -p sub && echo nested > sub/file.txt && " +
            "ln -s good.txt inside-link && ln -s /etc/passwd absolute-link && ln -s ../../../escape relative-link && " +
            "ln -s /etc sub/etc-link && mkfifo pipe && mknod device c 1 3 && ln good.txt hard-inside";
        // Without an inner user namespace: in one, the kernel lets no container make a device node at all
        // (mknod: Operation not permitted), and the exporter's refusal of devices must still be tried.
        var settings = new DindSettings(RepositoryRoot.Path).WithHostArtifactsDirectory(artifacts).WithTestCommand(attack).WithTestReportRequired(false).WithInnerUserns(InnerUserns.Off);
        await using (var pipeline = DindSession.Create(settings, log.Logger, SessionSteps.Services(log.Logger) with { Masker = log.Masker }))
        {
            await SessionSteps.StartAndBuildAsync(pipeline);
            await pipeline.RunTestsAsync(Cancel);
            await pipeline.ExportArtifactsAsync(Cancel);
        }

        Assert.Equal("good\n", await File.ReadAllTextAsync(Path.Combine(artifacts, "good.txt"), Cancel));
        Assert.Equal("nested\n", await File.ReadAllTextAsync(Path.Combine(artifacts, "sub", "file.txt"), Cancel));
        Assert.Equal("good.txt", new FileInfo(Path.Combine(artifacts, "inside-link")).LinkTarget);
        Assert.Equal("good\n", await File.ReadAllTextAsync(Path.Combine(artifacts, "hard-inside"), Cancel));
        foreach (var refused in new[] { "absolute-link", "relative-link", "sub/etc-link", "pipe", "device" })
        {
            Assert.False(Path.Exists(Path.Combine(artifacts, refused)), $"{refused} was written");
            Assert.Contains(refused, log.Text, StringComparison.Ordinal);
        }

        Assert.Equal(["artifacts"], Directory.GetFileSystemEntries(root.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Secret_values_never_appear_in_the_log_or_the_error()
    {
        engine.RequireEngine();
        const string secret = "s3cr3t-value-4711";
        var log = new CapturingLog(new SecretMasker());
        using var artifacts = new TempDirectory();
        var settings = new DindSettings(RepositoryRoot.Path)
            .WithHostArtifactsDirectory(artifacts.Path)
            .WithTestEnvironment($"API_TOKEN={secret}")
            .WithTestEnvironment("GREETING=hello-visible")
            .WithTestCommand("echo \"token is $API_TOKEN, greeting is $GREETING\"; exit 3");
        DindBuildException failure;
        await using (var pipeline = DindSession.Create(settings, log.Logger, SessionSteps.Services(log.Logger) with { Masker = log.Masker }))
        {
            await SessionSteps.StartAndBuildAsync(pipeline);
            failure = await Assert.ThrowsAsync<DindBuildException>(() => pipeline.RunTestsAsync(Cancel));
        }

        Assert.Contains("token is ***, greeting is hello-visible", log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, failure.Message, StringComparison.Ordinal);
        Assert.Contains("token is ***", failure.Message, StringComparison.Ordinal);
    }


    private static async Task<string> PingAsync(Uri uri, X509Certificate2 authority, X509Certificate2? clientCertificate)
    {
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && TestCertificates.ChainsTo(new X509Certificate2(certificate), authority);
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        return await client.GetStringAsync(uri, Cancel);
    }

    private static async Task<string> PlainHttpAsync(Uri uri)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            return await client.GetStringAsync(uri, Cancel);
        }
        catch (HttpRequestException ex)
        {
            return ex.Message;
        }
    }
}
