using CliWrap.Buffered;
using DindBuild.Sessions;
using DindBuild.SocketPolicy;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// The socket policy against real daemons: the docker CLI through the proxy (hijacked attach and
/// exec, streams, refusals as the CLI prints them), and the item-1 attack from a test container in
/// a real run, checked through the docker CLI and the host's filesystem.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class SocketPolicyTests(EngineFixture engine)
{
    private const string Image = "dindbuild/python:trixie";

    [Fact]
    public async Task The_docker_CLI_works_through_the_proxy_and_prints_its_refusals()
    {
        engine.RequireEngine();
        using var directory = new TempDirectory("dindbuild-policy");
        var session = BuildScript.NewSessionId();
        var socket = directory.Combine("proxy.sock");
        await using var proxy = SocketPolicyProxy.Start(socket, SessionNames.DockerSocketPath, session, "test:1:1", socket, EngineFixture.Log);
        var viaProxy = new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix://" + socket };
        try
        {
            // docker run: create, a hijacked attach, start, wait; with -i the CLI half-closes stdin at its end.
            var run = await DockerCli.RunAsync(["run", "--rm", Image, "echo", "hello from a container"], environment: viaProxy);
            var piped = await CliWrap.Cli.Wrap("docker").WithArguments(["run", "--rm", "-i", Image, "sh", "-c", "tr a-z A-Z"])
                .WithEnvironmentVariables(viaProxy).WithStandardInputPipe(CliWrap.PipeSource.FromString("through stdin"))
                .WithValidation(CliWrap.CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
            var privileged = await DockerCli.RunAsync(["run", "--rm", "--privileged", Image, "true"], environment: viaProxy);
            var hostRoot = await DockerCli.RunAsync(["run", "--rm", "-v", "/:/host", "--pid", "host", Image, "true"], environment: viaProxy);

            Assert.True(run.ExitCode == 0, run.StandardError);
            Assert.Equal("hello from a container", run.StandardOutput.Trim());
            Assert.Equal("THROUGH STDIN", piped.StandardOutput.Trim());
            Assert.NotEqual(0, privileged.ExitCode);
            Assert.Contains("Error response from daemon: DindBuild socket policy: HostConfig.Privileged: privileged containers are not allowed; relax with --socket-policy permissive", privileged.StandardError, StringComparison.Ordinal);
            Assert.Contains("HostConfig.Binds /:/host", hostRoot.StandardError, StringComparison.Ordinal);
            Assert.Contains("HostConfig.PidMode=host", hostRoot.StandardError, StringComparison.Ordinal);

            // A container, a volume and a network made through the proxy carry the session; exec and logs work.
            var name = $"dindbuild-{session}-sleeper";
            await DockerCli.OutputAsync(["run", "-d", "--name", name, "--label", "mine=kept", Image, "sleep", "600"], environment: viaProxy);
            await DockerCli.OutputAsync(["volume", "create", $"dindbuild-{session}-vol"], environment: viaProxy);
            await DockerCli.OutputAsync(["network", "create", $"dindbuild-{session}-net"], environment: viaProxy);
            var exec = await DockerCli.RunAsync(["exec", name, "sh", "-c", "echo exec works"], environment: viaProxy);
            var privilegedExec = await DockerCli.RunAsync(["exec", "--privileged", name, "true"], environment: viaProxy);

            Assert.Equal("exec works", exec.StandardOutput.Trim());
            Assert.Contains("exec Privileged", privilegedExec.StandardError, StringComparison.Ordinal);
            Assert.Equal($"{session} test-created kept", await DockerCli.OutputAsync(["inspect", "--format", "{{index .Config.Labels \"org.dindbuild.session\"}} {{index .Config.Labels \"org.dindbuild.role\"}} {{index .Config.Labels \"mine\"}}", name]));
            Assert.Equal(3, (await DockerCli.LabelledResourcesAsync(session)).Count);
            Assert.True(proxy.Stats.RefusedCount >= 3);
        }
        finally
        {
            await RemoveLabelledAsync(session);
        }

        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    private static async Task RemoveLabelledAsync(string session)
    {
        var filter = $"label=org.dindbuild.session={session}";
        foreach (var id in (await DockerCli.OutputAsync(["ps", "-aq", "--filter", filter])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await DockerCli.RunAsync(["rm", "-f", id]);
        }

        foreach (var name in (await DockerCli.OutputAsync(["volume", "ls", "-q", "--filter", filter])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await DockerCli.RunAsync(["volume", "rm", name]);
        }

        foreach (var id in (await DockerCli.OutputAsync(["network", "ls", "-q", "--filter", filter])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await DockerCli.RunAsync(["network", "rm", id]);
        }
    }
}
