using DindBuild.Tests.Infrastructure;
using DindBuild.Tls;

namespace DindBuild.Tests.Integration;

/// <summary>
/// The build itself running inside a container, as CI systems run it: (a) a job container with the
/// host socket (dood), (b) a job container using a DinD "service" on a network as <c>docker</c>
/// (external, TLS: the GitLab pattern), (c) DindTest inside a DinD container (depth 2).
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class InContainerTests(EngineFixture engine)
{
    private const string JobImage = "dindbuild/dind:trixie";

    [Fact]
    public async Task A_job_container_with_the_host_socket_runs_dood_and_gets_the_artifacts_in_its_workspace()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        var job = $"dindbuild-{harness.Id}-job";
        var session = "a" + harness.Id;

        var run = await harness.RunAsync(
            job,
            [.. Harness.JobFlags, "-v", "/var/run/docker.sock:/var/run/docker.sock", JobImage, "bash", "-c", Harness.BuildInJob($"DindTest --docker-mode dood --socket-policy permissive --session-id {session}")],
            detached: false);

        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        using var copied = new TempDirectory();
        await DockerCli.OutputAsync(["cp", $"{job}:/work/artifacts/.", copied.Path]);
        Assert.Equal(0, JUnitReport.Load(Path.Combine(copied.Path, "junit.xml")).Failures);

        // The host daemon cannot see the job container's files, so the socket policy's socket cannot be
        // mounted there: this job opts in to the host socket itself, which is what the tests saw.
        Assert.Equal(await DockerCli.OutputAsync(["info", "--format", "{{.ID}}"]), ModeTests.SeenDaemonId(copied.Path));
        Assert.Contains("--socket-policy permissive: the tests get the daemon's own socket (/var/run/docker.sock), unfiltered", run.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task A_job_container_uses_a_DinD_service_named_docker_over_TLS_in_external_mode()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        using var tls = TlsMaterial.Generate("docker", ["docker", "localhost"], [System.Net.IPAddress.Loopback]);
        var serverCertificates = harness.PrivateDirectory("server");
        var clientCertificates = harness.PrivateDirectory("client");
        tls.WriteServerDirectory(serverCertificates);
        tls.WriteClientDirectory(clientCertificates);
        var network = await harness.NetworkAsync();
        var service = $"dindbuild-{harness.Id}-docker";

        var started = await harness.RunAsync(service,
        [
            .. Harness.DindFlags, "--network", network, "--network-alias", "docker", "-p", "127.0.0.1::2376",
            "-v", $"{harness.EntrypointFile}:/dindbuild-entrypoint.sh:ro", "-v", $"{serverCertificates}:/certs/server:ro",
            "--entrypoint", "/bin/sh", JobImage, "/dindbuild-entrypoint.sh",
            "--host=unix:///var/run/docker.sock", "--host=tcp://0.0.0.0:2376", "--tlsverify",
            "--tlscacert=/certs/server/ca.pem", "--tlscert=/certs/server/cert.pem", "--tlskey=/certs/server/key.pem",
        ]);
        Assert.True(started.ExitCode == 0, started.StandardError);

        var port = (await DockerCli.OutputAsync(["port", service, "2376/tcp"])).Split('\n')[0].Trim();
        var serviceEnvironment = new Dictionary<string, string?> { ["DOCKER_HOST"] = $"tcp://{port}", ["DOCKER_TLS_VERIFY"] = "1", ["DOCKER_CERT_PATH"] = clientCertificates };
        await Harness.WaitUntilAsync(service, () => DockerCli.RunAsync(["version"], environment: serviceEnvironment), TimeSpan.FromSeconds(60));

        // No registry here: the service gets the sample's base image the way a CI cache would provide it.
        await DockerCli.CopyImagesAsync(["dindbuild/python:trixie"], serviceEnvironment);
        var session = "b" + harness.Id;
        var job = $"dindbuild-{harness.Id}-job";

        var run = await harness.RunAsync(
            job,
            [
                .. Harness.JobFlags, "--network", network, "-v", $"{clientCertificates}:/certs/client:ro",
                "-e", "DOCKER_HOST=tcp://docker:2376", "-e", "DOCKER_TLS_VERIFY=1", "-e", "DOCKER_CERT_PATH=/certs/client",
                JobImage, "bash", "-c", Harness.BuildInJob($"DindTest --docker-mode external --session-id {session}"),
            ],
            detached: false);

        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        using var copied = new TempDirectory();
        await DockerCli.OutputAsync(["cp", $"{job}:/work/artifacts/.", copied.Path]);
        Assert.Equal(0, JUnitReport.Load(Path.Combine(copied.Path, "junit.xml")).Failures);

        // A daemon over TCP cannot mount a socket of the job's: under the strict socket policy the tests get none, and are told why.
        Assert.Contains("so the tests get no Docker socket", run.StandardOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(copied.Path, "docker-daemon.json")), "the tests reached a daemon without a socket");

        // The service is someone else's: it still runs, and only what the run created is gone from it.
        Assert.Equal("true", await DockerCli.OutputAsync(["inspect", "--format", "{{.State.Running}}", service]));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session, serviceEnvironment));
    }

    [Fact]
    public async Task DindTest_runs_inside_a_DinD_container_at_depth_two()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        var sockets = harness.PrivateDirectory("outer");
        var outer = $"dindbuild-{harness.Id}-outer";

        var started = await harness.RunAsync(outer,
        [
            .. Harness.DindFlags, .. Harness.JobFlags,
            "-v", $"{harness.EntrypointFile}:/dindbuild-entrypoint.sh:ro", "-v", $"{sockets}:/run/outer",
            "--entrypoint", "/bin/sh", JobImage, "/dindbuild-entrypoint.sh",
            "--host=unix:///var/run/docker.sock", "--host=unix:///run/outer/docker.sock",
        ]);
        Assert.True(started.ExitCode == 0, started.StandardError);
        var outerHost = $"unix://{sockets}/docker.sock";
        await Harness.WaitUntilAsync(outer, () => DockerCli.RunAsync(["version"], outerHost), TimeSpan.FromSeconds(60));
        await DockerCli.CopyImagesAsync([JobImage, "dindbuild/python:trixie"], new Dictionary<string, string?> { ["DOCKER_HOST"] = outerHost });

        var run = await DockerCli.RunAsync(["exec", outer, "bash", "-c", Harness.BuildInJob("DindTest --artifacts-dir /work/out")]);
        TestContext.Current.TestOutputHelper?.WriteLine(run.StandardOutput + run.StandardError);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("Started DinD container", run.StandardOutput, StringComparison.Ordinal);
        using var copied = new TempDirectory();
        await DockerCli.OutputAsync(["cp", $"{outer}:/work/out/.", copied.Path]);
        Assert.Equal(0, JUnitReport.Load(Path.Combine(copied.Path, "junit.xml")).Failures);
        Assert.Empty(await DockerCli.LabelledResourcesAsync(null, new Dictionary<string, string?> { ["DOCKER_HOST"] = outerHost }));
    }
}
