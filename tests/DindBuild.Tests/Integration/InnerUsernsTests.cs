using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Inner containers in a user namespace, on a real DinD daemon: the tests run, a container the tests
/// start is a remapped uid as the DinD container's kernel view shows it, and root in an inner
/// container cannot open a host-global sysctl — not even with the powers the socket policy refuses.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class InnerUsernsTests(EngineFixture engine)
{
    /// <summary>The test container starts a long-lived container through its Docker socket (the image has no docker CLI, so Python speaks HTTP).</summary>
    private const string StartInner = PythonDockerClient.Prelude + """
        name = os.environ["INNER_NAME"]
        created, _ = call("POST", f"/containers/create?name={name}", {"Image": "dindbuild/python:trixie", "Cmd": ["sleep", "600"]})
        started, _ = call("POST", f"/containers/{name}/start")
        try:
            open("/proc/sys/kernel/core_pattern", "a").close(); sysctl = "opened"
        except OSError as e:
            sysctl = f"refused: {e.strerror}"
        print(f"inner created {created} started {started}; test container core_pattern {sysctl}")
        """;

    /// <summary>
    /// Mounts a fresh procfs (mount(2) itself: util-linux's mount refuses in a --userns=host container
    /// of a remapping daemon) and opens the host kernel's core_pattern for appending — nothing is written.
    /// </summary>
    private const string OpenCorePattern = """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.mount(b"proc", b"/mnt", b"proc", 0, None) != 0:
            print("NO-MOUNT", os.strerror(ctypes.get_errno()))
        else:
            try:
                open("/mnt/sys/kernel/core_pattern", "a").close(); print("OPENED")
            except OSError as e:
                print("REFUSED", e.strerror)
        """;

    [Fact]
    public async Task With_userns_on_the_tests_run_their_containers_are_a_remapped_uid_and_cannot_open_a_host_global_sysctl()
    {
        engine.RequireEngine();
        using var artifacts = new TempDirectory();
        var session = BuildScript.NewSessionId();
        var dind = $"dindbuild-{session}";
        var inner = $"dindbuild-{session}-inner";
        using var kept = await CheckoutSessions.HoldAsync();
        try
        {
            var run = await BuildScript.RunAsync(
            [
                "DindTest", "--keep-daemon", "--inner-userns", "on", "--privilege", "capabilities", "--test-report", "optional",
                "--test-env", $"INNER_NAME={inner}",
                .. PythonDockerClient.TestArguments(StartInner),
                "--session-id", session, "--artifacts-dir", artifacts.Path,
            ]);

            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains(run.Lines, line => line.Contains("inner created 201 started 204; test container core_pattern refused", StringComparison.Ordinal));
            Assert.Contains("| Inner user namespace | on (dockerd --userns-remap) |", await File.ReadAllTextAsync(Path.Combine(artifacts.Path, "dindbuild-report.md"), TestContext.Current.CancellationToken), StringComparison.Ordinal);

            // Through the DinD container's own view of the kernel, not DindBuild: the container the
            // tests started runs as a uid other than 0, its namespace mapping root to it.
            var pid = await DockerCli.OutputAsync(["exec", dind, "docker", "inspect", "--format", "{{.State.Pid}}", inner]);
            var uidMap = (await DockerCli.OutputAsync(["exec", dind, "cat", $"/proc/{pid}/uid_map"])).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var owner = await DockerCli.OutputAsync(["exec", dind, "stat", "-c", "%u", $"/proc/{pid}"]);
            Assert.Equal("0", uidMap[0]);
            Assert.NotEqual("0", uidMap[1]);
            Assert.Equal(uidMap[1], owner);

            // Defence in depth: a container the socket policy would refuse (SYS_ADMIN, seccomp off),
            // created past the policy, still cannot open the host-global sysctl from its own procfs.
            // The control, --userns=host, shows that the same container without the namespace can.
            string[] powerful = ["exec", dind, "docker", "run", "--rm", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined"];
            Assert.Equal("REFUSED Permission denied", await DockerCli.OutputAsync([.. powerful, "dindbuild/python:trixie", "python3", "-c", OpenCorePattern]));
            Assert.Equal("OPENED", await DockerCli.OutputAsync([.. powerful, "--userns=host", "dindbuild/python:trixie", "python3", "-c", OpenCorePattern]));
        }
        finally
        {
            var teardown = await BuildScript.RunAsync(["Teardown", "--session-id", session, "--artifacts-dir", artifacts.Path]);
            Assert.True(teardown.ExitCode == 0, teardown.Output);
        }

        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }
}
