namespace DindBuild.Tests.Infrastructure;

/// <summary>A daemon for the external mode: the DinD image in a container of the harness, reached through a unix socket in a private directory.</summary>
internal static class ExternalDaemon
{
    /// <summary>Starts it and waits until it answers; returns its DOCKER_HOST and the container's name.</summary>
    public static async Task<(string Host, string Container)> StartAsync(Harness harness)
    {
        var sockets = harness.PrivateDirectory("external");
        var service = $"dindbuild-{harness.Id}-external";
        var started = await harness.RunAsync(service,
        [
            .. Harness.DindFlags, "-v", $"{harness.EntrypointFile}:/dindbuild-entrypoint.sh:ro", "-v", $"{sockets}:/run/external",
            "--entrypoint", "/bin/sh", "dindbuild/dind:trixie", "/dindbuild-entrypoint.sh",
            "--host=unix:///var/run/docker.sock", "--host=unix:///run/external/docker.sock",
        ]);
        Assert.True(started.ExitCode == 0, started.StandardError);
        var host = $"unix://{sockets}/docker.sock";
        await Harness.WaitUntilAsync(service, () => DockerCli.RunAsync(["version"], host), TimeSpan.FromSeconds(60));
        return (host, service);
    }
}
