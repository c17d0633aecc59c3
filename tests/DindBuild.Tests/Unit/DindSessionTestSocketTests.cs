using System.Net.Sockets;
using System.Text;
using DindBuild.Dind;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>Which Docker socket the test container gets in each mode and policy, and that the policy proxy serves it for exactly the test run.</summary>
public sealed class DindSessionTestSocketTests : IDisposable
{
    private readonly FakeSessionHost _host = new();
    private readonly CapturingLog _log = new(new SecretMasker());

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task Dood_strict_mounts_the_proxy_socket_which_answers_during_the_run_only_and_teardown_removes_it()
    {
        var engine = _host.Engines.Add(FakeSessionHost.HostSocket);
        string? answer = null;
        engine.OnCreate = spec =>
        {
            answer = AskProxy(SessionNames.PolicySocket(_host.SessionId));
            return null;
        };

        await using (var session = _host.Continue(_host.Saved(DockerMode.Dood, FakeSessionHost.HostSocket), _host.Options(DockerMode.Dood), _log.Logger))
        {
            await session.RunTestsAsync(Cancel);

            var mount = Assert.Single(TestContainer(engine).Mounts, m => m.Kind == MountKind.Bind);
            Assert.Equal(SessionNames.PolicySocket(_host.SessionId), mount.Source);
            Assert.Equal("/var/run/docker.sock", mount.Target);
            Assert.StartsWith("no answer", AskProxy(SessionNames.PolicySocket(_host.SessionId)), StringComparison.Ordinal);
            await session.TeardownAsync();
        }

        // The fake host socket is no daemon: the proxy says it cannot reach it, naming it.
        Assert.Contains("502", answer, StringComparison.Ordinal);
        Assert.Contains("/fake/host.sock", answer, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_host.PrivateDirectory), "dood's private directory, made for the policy socket, outlived the session");
        Assert.DoesNotContain("permissive:", _log.Text, StringComparison.Ordinal);
        Assert.Contains("went through the socket policy", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dood_strict_runs_the_tests_without_a_socket_when_the_daemon_cannot_see_the_proxys_and_says_how_to_opt_in()
    {
        var engine = _host.Engines.Add(FakeSessionHost.HostSocket);
        engine.OnCreate = spec => spec.Mounts.Any(m => m.Kind == MountKind.Bind)
            ? new DockerOperationException("docker create", $"invalid mount config for type \"bind\": bind source path does not exist: {spec.Mounts[^1].Source}")
            : null;

        await RunTestsAsync(DockerMode.Dood, FakeSessionHost.HostSocket);

        Assert.DoesNotContain(TestContainer(engine).Mounts, m => m.Kind == MountKind.Bind);
        Assert.Contains("cannot mount the socket policy's socket", _log.Text, StringComparison.Ordinal);
        Assert.Contains("bind source path does not exist", _log.Text, StringComparison.Ordinal);
        Assert.Contains("'--socket-policy permissive' mounts the daemon's own socket instead", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dood_permissive_mounts_the_host_socket_itself_and_says_what_that_exposes()
    {
        var engine = _host.Engines.Add(FakeSessionHost.HostSocket);
        var proxyListening = true;
        engine.OnCreate = _ =>
        {
            proxyListening = File.Exists(SessionNames.PolicySocket(_host.SessionId));
            return null;
        };

        await RunTestsAsync(DockerMode.Dood, FakeSessionHost.HostSocket, TestSocketPolicy.Permissive);

        Assert.Equal("/fake/host.sock", Assert.Single(TestContainer(engine).Mounts, m => m.Kind == MountKind.Bind).Source);
        Assert.False(proxyListening);
        Assert.Contains("--socket-policy permissive: the tests get the daemon's own socket (/fake/host.sock), unfiltered: whatever the tests run is root on this host", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dind_strict_mounts_the_proxy_socket_as_the_DinD_container_sees_it_and_forwards_to_the_inner_daemon()
    {
        var (saved, _, daemon, _) = _host.SavedDind();
        string? answer = null;
        daemon.OnCreate = _ =>
        {
            answer = AskProxy(Path.Combine(_host.PrivateDirectory, "proxy.sock"));
            return null;
        };

        await using (var session = _host.Continue(saved, _host.Options(), _log.Logger))
        {
            await session.RunTestsAsync(Cancel);
            Assert.Equal(DindDaemon.PolicySocketInContainer, Assert.Single(TestContainer(daemon).Mounts, m => m.Kind == MountKind.Bind).Source);
            Assert.True(Directory.Exists(_host.PrivateDirectory), "the DinD container's socket directory must stay");
            Assert.StartsWith("no answer", AskProxy(Path.Combine(_host.PrivateDirectory, "proxy.sock")), StringComparison.Ordinal);
            await session.KeepAsync(Cancel);
        }

        Assert.Equal("/run/dindbuild/proxy.sock", DindDaemon.PolicySocketInContainer);
        Assert.Contains(Path.Combine(_host.PrivateDirectory, "docker.sock"), answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task External_over_TCP_strict_gives_no_socket_and_says_why_and_permissive_gives_the_daemons_own()
    {
        const string External = "tcp://external:2376";
        var engine = _host.Engines.Add(External);

        await RunTestsAsync(DockerMode.External, External);
        var strict = TestContainer(engine);
        await RunTestsAsync(DockerMode.External, External, TestSocketPolicy.Permissive);
        var permissive = TestContainer(engine);

        Assert.DoesNotContain(strict.Mounts, m => m.Kind == MountKind.Bind);
        Assert.Contains("external mode: the socket policy proxy runs in this build process, and the daemon at tcp://external:2376 cannot mount a socket of this machine into the test container, so the tests get no Docker socket", _log.Text, StringComparison.Ordinal);
        Assert.Equal("/var/run/docker.sock", Assert.Single(permissive.Mounts, m => m.Kind == MountKind.Bind).Source);
    }

    [Fact]
    public async Task Without_mount_docker_socket_there_is_no_socket_no_proxy_and_no_warning()
    {
        var engine = _host.Engines.Add(FakeSessionHost.HostSocket);

        await RunTestsAsync(DockerMode.Dood, FakeSessionHost.HostSocket, configure: options => options.WithMountDockerSocket(false));

        Assert.DoesNotContain(TestContainer(engine).Mounts, m => m.Kind == MountKind.Bind);
        Assert.DoesNotContain("--socket-policy", _log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("socket policy", _log.Text, StringComparison.Ordinal);
    }

    private static FakeContainer TestContainer(FakeEngine engine) => engine.ContainerList[^1];

    /// <summary>A ping through the socket, as a test would send it; what comes back, or why nothing did.</summary>
    private static string AskProxy(string socketPath)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            socket.Send("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"u8);
            socket.ReceiveTimeout = 5000;
            var answer = new List<byte>();
            var buffer = new byte[4096];
            int read;

            // A 502 closes the connection.
            while ((read = socket.Receive(buffer)) > 0)
            {
                answer.AddRange(buffer.AsSpan(0, read).ToArray());
            }

            return Encoding.UTF8.GetString([.. answer]);
        }
        catch (SocketException ex)
        {
            return "no answer: " + ex.Message;
        }
    }

    private async Task RunTestsAsync(DockerMode mode, string dockerHost, TestSocketPolicy policy = TestSocketPolicy.Strict, Func<DindSettings, DindSettings>? configure = null)
    {
        var options = (configure ?? (o => o))(_host.Options(mode).WithSocketPolicy(policy));
        await using var session = _host.Continue(_host.Saved(mode, dockerHost), options, _log.Logger);
        await session.RunTestsAsync(Cancel);

        // Kept, so that the test container is still there to look at.
        await session.KeepAsync(Cancel);
    }
}
