using CliWrap;
using CliWrap.Buffered;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

public sealed class DindContainerSpecsTests
{
    [Fact]
    public void Extra_CAs_point_the_entry_script_at_their_own_directory_under_the_shared_socket_directory()
    {
        var with = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Privileged, "data", "/tmp/sock", "net", tls: true, extraCa: true);
        var without = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Privileged, "data", "/tmp/sock", "net", tls: true);

        Assert.Contains("DINDBUILD_CA_DIR=/run/dindbuild/ca", with.Environment);
        Assert.DoesNotContain(without.Environment, variable => variable.StartsWith("DINDBUILD_CA_DIR=", StringComparison.Ordinal));
        Assert.Contains("SSL_CERT_DIR=\"$DINDBUILD_CA_DIR:/etc/ssl/certs:/etc/pki/tls/certs\"", EntrypointScript.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Privileged_is_what_docker_dind_documents()
    {
        var spec = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Privileged, "data", "/tmp/sock", "net", tls: true);

        Assert.True(spec.Privileged);
        Assert.Empty(spec.CapabilitiesToAdd);
    }

    [Fact]
    public void Capabilities_asks_for_exactly_the_measured_minimum_never_privileged()
    {
        var spec = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Capabilities, "data", "/tmp/sock", "net", tls: true);

        Assert.False(spec.Privileged);
        Assert.Equal(["ALL"], spec.CapabilitiesToDrop);
        Assert.Equal(16, spec.CapabilitiesToAdd.Length);
        Assert.Contains("SYS_ADMIN", spec.CapabilitiesToAdd);
        Assert.Contains("NET_ADMIN", spec.CapabilitiesToAdd);
        Assert.Contains("MKNOD", spec.CapabilitiesToAdd);
        Assert.DoesNotContain("SYS_MODULE", spec.CapabilitiesToAdd);
        Assert.DoesNotContain("SYS_PTRACE", spec.CapabilitiesToAdd);
        Assert.Contains("seccomp=unconfined", spec.SecurityOptions);
        Assert.Contains("apparmor=unconfined", spec.SecurityOptions);
        Assert.False(spec.UnconfinedSystemPaths);
        Assert.Contains("DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1", spec.Environment);
    }

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "--debug" }, true)]
    [InlineData(new[] { "--containerd=/run/containerd/containerd.sock" }, false)]
    [InlineData(new[] { "--containerd", "/run/containerd/containerd.sock" }, false)]
    public void The_entry_script_starts_containerd_itself_unless_the_daemon_arguments_name_one(string[] daemonArguments, bool own)
    {
        var spec = DindContainerSpecs.For("s1", "img", PrivilegeProfile.Capabilities, "vol", "/tmp/dindbuild-s1", "net", tls: false, daemonArguments: daemonArguments);

        Assert.Equal(own, spec.Environment.Contains(DindContainerSpecs.OwnContainerdVariable + "=1"));
        Assert.Contains("if [ -n \"${DINDBUILD_OWN_CONTAINERD:-}\" ] && command -v containerd", EntrypointScript.Text, StringComparison.Ordinal);
        Assert.Contains("set -- \"--containerd=$containerd_socket\" \"$@\"", EntrypointScript.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_data_root_is_a_volume_and_the_socket_directory_is_shared_with_the_host()
    {
        var spec = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Capabilities, "dindbuild-s1-data", "/tmp/dindbuild-s1", "dindbuild-s1", tls: true);

        Assert.Contains(new MountSpec(MountKind.Volume, "dindbuild-s1-data", "/var/lib/docker"), spec.Mounts);
        Assert.Contains(new MountSpec(MountKind.Bind, "/tmp/dindbuild-s1", DindDaemon.SocketDirectoryInContainer), spec.Mounts);
        Assert.Contains($"--host=unix://{DindDaemon.SocketDirectoryInContainer}/docker.sock", spec.Command!.Value);
        Assert.Equal("s1", spec.Labels["org.dindbuild.session"]);
        Assert.Equal(["/bin/sh", DindContainerSpecs.EntrypointPath], spec.Entrypoint!.Value);
    }

    [Fact]
    public void With_TLS_the_daemon_listens_with_tlsverify_published_on_loopback_only()
    {
        var spec = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Capabilities, "d", "/s", "dindbuild-s1", tls: true);

        Assert.Contains("--tlsverify", spec.Command!.Value);
        Assert.Contains($"--host=tcp://0.0.0.0:{DindContainerSpecs.TlsPort}", spec.Command.Value);
        Assert.Equal([new PortPublication(DindContainerSpecs.TlsPort, "127.0.0.1")], spec.PublishedPorts);
        Assert.Equal("dindbuild-s1", spec.NetworkMode);
        Assert.Contains("docker", spec.NetworkAliases);
    }

    [Fact]
    public void With_TLS_off_dockerd_is_told_so_and_no_port_is_published()
    {
        var spec = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Capabilities, "d", "/s", "n", tls: false);

        Assert.Contains("--tls=false", spec.Command!.Value);
        Assert.DoesNotContain(spec.Command.Value, argument => argument.StartsWith("--host=tcp://", StringComparison.Ordinal));
        Assert.Empty(spec.PublishedPorts);
        Assert.DoesNotContain(spec.Environment, variable => variable.StartsWith("DINDBUILD_TLS_DIR=", StringComparison.Ordinal));
    }

    [Fact]
    public void An_in_memory_data_root_is_an_executable_tmpfs_and_no_volume()
    {
        var spec = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Capabilities, DindContainerSpecs.InMemoryDataRoot, "/s", "n", tls: true);

        Assert.DoesNotContain(spec.Mounts, mount => mount.Target == "/var/lib/docker");
        Assert.Contains("exec", spec.Tmpfs["/var/lib/docker"].Split(','));
        Assert.DoesNotContain("noexec", spec.Tmpfs["/var/lib/docker"].Split(','));
    }

    [Fact]
    public void Auto_must_be_resolved_before_a_container_is_created() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DindContainerSpecs.For("s1", "i", PrivilegeProfile.Auto, "d", "/s", "n", tls: true));

    [Theory]
    [InlineData(0x1UL, new[] { "CHOWN" })]
    [InlineData(0x200000UL, new[] { "SYS_ADMIN" })]
    [InlineData(0x3UL | (1UL << 24), new[] { "CHOWN", "DAC_OVERRIDE", "SYS_RESOURCE" })]
    public void Capability_masks_map_to_names(ulong mask, string[] names) =>
        Assert.Equal(names, LinuxCapabilities.FromMask(mask));

    [Fact]
    public void A_full_mask_without_SYS_RESOURCE_leaves_only_that_out()
    {
        var names = LinuxCapabilities.FromMask(0x1ffffffffffUL & ~(1UL << 24));

        Assert.DoesNotContain("SYS_RESOURCE", names);
        Assert.Equal(40, names.Count);
    }

    [Fact]
    public async Task The_entry_script_is_written_into_the_private_directory_the_container_runs_it_from_and_is_valid_POSIX_shell()
    {
        using var directory = new TempDirectory();
        EntrypointScript.WriteTo(directory.Path);

        var written = Path.Combine(directory.Path, EntrypointScript.FileName);
        Assert.Equal(EntrypointScript.Text, await File.ReadAllTextAsync(written, TestContext.Current.CancellationToken));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(written));
        var spec = DindContainerSpecs.For("s1", "img", PrivilegeProfile.Capabilities, "vol", directory.Path, "net", tls: false);
        Assert.Equal(["/bin/sh", DindDaemon.SocketDirectoryInContainer + "/" + EntrypointScript.FileName], spec.Entrypoint!.Value);
        Assert.Contains(spec.Mounts, mount => mount.Kind == MountKind.Bind && mount.Source == directory.Path && mount.Target == DindDaemon.SocketDirectoryInContainer);
        Assert.Contains("exec dockerd \"$@\"", EntrypointScript.Text, StringComparison.Ordinal);

        // 'sh -n' parses without running: a syntax error would only show up when a daemon fails to start.
        var check = await Cli.Wrap("sh").WithArguments(["-n"]).WithStandardInputPipe(PipeSource.FromString(EntrypointScript.Text))
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        Assert.True(check.ExitCode == 0, check.StandardError);
    }
}
