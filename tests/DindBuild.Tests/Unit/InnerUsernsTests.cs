using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Inner containers in a user namespace: what the DinD container is given for it, when it is tried,
/// and what a host that cannot give it leads to — a fallback for auto, a refusal for on.
/// </summary>
public sealed class InnerUsernsTests
{
    private const string EngineRoot = "/repo";

    /// <summary>What runc 1.1 says when the probe's missing command is the first thing it misses: the user namespace worked.</summary>
    internal const string ReachedCommand = "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"/dindbuild-userns-probe\": stat /dindbuild-userns-probe: no such file or directory: unknown";

    /// <summary>Measured here without SYS_PTRACE in the capabilities profile (runc's own log says "failed to get container mount namespace").</summary>
    internal const string NoFinalChild = "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: can't get final child's PID from pipe: EOF: unknown";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public void With_an_inner_user_namespace_the_daemon_remaps_and_the_capabilities_profile_adds_exactly_SYS_PTRACE()
    {
        var plain = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Capabilities, "d", "/s", "n", tls: false);
        var userns = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Capabilities, "d", "/s", "n", tls: false, innerUserns: true);

        Assert.Contains(DindContainerSpecs.UsernsRemapFlag, userns.Command!.Value);
        Assert.DoesNotContain(DindContainerSpecs.UsernsRemapFlag, plain.Command!.Value);
        Assert.Contains("DINDBUILD_INNER_USERNS=1", userns.Environment);
        Assert.DoesNotContain("DINDBUILD_INNER_USERNS=1", plain.Environment);
        var expectedExtra = LinuxCapabilities.InBoundingSet().Contains("SYS_PTRACE") ? new[] { "SYS_PTRACE" } : [];
        Assert.Equal(expectedExtra, userns.CapabilitiesToAdd.Except(plain.CapabilitiesToAdd));
        Assert.Empty(plain.CapabilitiesToAdd.Except(userns.CapabilitiesToAdd));

        // /proc and /sys keep Docker's masks in both: the entry script adds whole mounts of its own instead.
        Assert.False(userns.UnconfinedSystemPaths);
        Assert.Contains("mount -t proc -o nosuid,nodev,noexec proc /run/dindbuild-userns/proc", EntrypointScript.Text, StringComparison.Ordinal);
        Assert.Contains("mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /run/dindbuild-userns/sys", EntrypointScript.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remap_the_user_names_in_daemon_arguments_is_kept_and_not_doubled()
    {
        var spec = DindContainerSpecs.For("s1", "docker:dind", PrivilegeProfile.Privileged, "d", "/s", "n", tls: false, daemonArguments: ["--userns-remap=builder:builder"], innerUserns: true);

        Assert.Single(spec.Command!.Value, argument => argument.StartsWith("--userns-remap", StringComparison.Ordinal));
        Assert.Contains("--userns-remap=builder:builder", spec.Command.Value);
    }

    [Theory]
    [InlineData(InnerUserns.Auto, TestSocketPolicy.Strict, null, true, false)]
    [InlineData(InnerUserns.Auto, TestSocketPolicy.Permissive, null, false, false)]
    [InlineData(InnerUserns.On, TestSocketPolicy.Permissive, null, true, true)]
    [InlineData(InnerUserns.Off, TestSocketPolicy.Strict, null, false, false)]
    [InlineData(InnerUserns.Auto, TestSocketPolicy.Permissive, "--userns-remap=default", true, true)]
    public void What_is_tried_and_whether_a_failure_is_fatal(InnerUserns requested, TestSocketPolicy policy, string? daemonArgument, bool tried, bool required)
    {
        var settings = new DindSettings(EngineRoot).WithInnerUserns(requested).WithSocketPolicy(policy);
        var choice = InnerUsernsChoice.For(daemonArgument is null ? settings : settings.WithDaemonArgument(daemonArgument));

        Assert.Equal(tried, choice.Try);
        Assert.Equal(required, choice.Required);
        Assert.Equal(tried, choice.OffReason is null);
    }

    [Fact]
    public void Off_together_with_a_remap_in_daemon_arguments_is_a_contradiction()
    {
        var settings = new DindSettings(EngineRoot).WithInnerUserns(InnerUserns.Off).WithDaemonArgument("--userns-remap=default");

        var failure = Assert.Throws<DindBuildException>(() => InnerUsernsChoice.For(settings));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("contradicts", failure.WhatFailed, StringComparison.Ordinal);
    }

    [Fact]
    public void The_parameter_is_read_like_every_other_and_defaults_to_auto()
    {
        Assert.Equal(InnerUserns.Auto, DindParameters.Read(EngineRoot, _ => [], _ => null).InnerUserns);
        Assert.Equal(InnerUserns.Off, DindParameters.Read(EngineRoot, name => name == "inner-userns" ? ["off"] : [], _ => null).InnerUserns);
        Assert.Equal(InnerUserns.On, DindParameters.Read(EngineRoot, _ => [], name => name == "DINDBUILD_INNER_USERNS" ? "on" : null).InnerUserns);
        var failure = Assert.Throws<DindBuildException>(() => DindParameters.Read(EngineRoot, name => name == "inner-userns" ? ["yes"] : [], _ => null));
        Assert.Contains("--inner-userns: 'yes' is not one of auto|on|off", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ReachedCommand, true)]
    [InlineData("OCI runtime create failed: executable file `/dindbuild-userns-probe` not found in $PATH: No such file or directory", true)]
    [InlineData(NoFinalChild, false)]
    [InlineData("error mounting \"proc\" to rootfs at \"/proc\": mount proc:/proc (via /proc/self/fd/9), flags: 0xe: operation not permitted: unknown", false)]
    [InlineData("error mounting \"sysfs\" to rootfs at \"/sys\": operation not permitted", false)]
    public void Only_reaching_the_missing_command_counts_as_a_working_user_namespace(string engineMessage, bool works) =>
        Assert.Equal(works, InnerUsernsProbe.ReachedTheCommand(engineMessage));

    [Fact]
    public async Task A_probe_that_reaches_its_command_keeps_the_daemon_and_leaves_only_the_empty_image()
    {
        using var world = new Starting();
        world.Inner.Failures["container.start"] = () => new DockerOperationException("docker start", ReachedCommand);

        var (daemon, client) = await world.ConfirmAsync(new InnerUsernsChoice(true, false, null));

        Assert.Same(world.Daemon, daemon);
        Assert.Same(world.Inner, client);
        Assert.Equal([InnerUsernsProbe.Image], world.Inner.Imported);
        Assert.Empty(world.Inner.ContainerList);
        Assert.Equal(0, world.Host.Count("container.create"));
    }

    [Fact]
    public async Task Auto_replaces_a_DinD_container_whose_daemon_cannot_start_userns_containers_by_one_without()
    {
        using var world = new Starting();
        world.Inner.Failures["container.start"] = () => new DockerOperationException("docker start", NoFinalChild);

        var (daemon, client) = await world.ConfirmAsync(new InnerUsernsChoice(true, false, null));

        Assert.Null(client);
        Assert.False(daemon.InnerUserns);
        Assert.Contains("can't get final child's PID from pipe", daemon.InnerUsernsOffReason, StringComparison.Ordinal);
        Assert.NotEqual(world.Daemon.ContainerId, daemon.ContainerId);
        var replacement = Assert.Single(world.Host.ContainerList);
        Assert.Equal(daemon.ContainerId, replacement.Id);
        Assert.Equal(PrivilegeProfile.Capabilities, daemon.Profile);
        var spec = Assert.Single(world.Created);
        Assert.DoesNotContain(DindContainerSpecs.UsernsRemapFlag, spec.Command!.Value);
        Assert.DoesNotContain("SYS_PTRACE", spec.CapabilitiesToAdd);
        Assert.Contains(world.Log.Text.Split('\n'), line => line.StartsWith("Inner containers cannot run in a user namespace on this host", StringComparison.Ordinal));
        Assert.Empty(world.Inner.ContainerList);
    }

    [Fact]
    public async Task On_refuses_a_host_that_cannot_give_it_with_the_runtimes_words_and_restarts_nothing()
    {
        using var world = new Starting();
        world.Inner.Failures["container.start"] = () => new DockerOperationException("docker start", NoFinalChild);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => world.ConfirmAsync(new InnerUsernsChoice(true, true, null)));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("cannot run containers in a user namespace on this host", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("can't get final child's PID from pipe: EOF", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--inner-userns auto", failure.HowToFix, StringComparison.Ordinal);
        Assert.Equal(0, world.Host.Count("container.create"));
        Assert.Empty(world.Inner.ContainerList);
    }

    /// <summary>A DinD container started for an inner user namespace (capabilities profile, no TLS, in-memory data root) and its daemon.</summary>
    internal sealed class Starting : IDisposable
    {
        private readonly string _sessionId = "u" + Guid.NewGuid().ToString("N")[..11];
        private readonly FakeEngines _engines = new();

        public Starting()
        {
            Host = _engines.Add("unix:///fake/host.sock");
            Inner = _engines.Add("unix:///fake/inner.sock");
            var container = Host.AddContainer(SessionNames.DindContainer(_sessionId), _sessionId);
            Daemon = new DindDaemon(container.Id, container.Name, "docker:dind", PrivilegeProfile.Capabilities, DindContainerSpecs.InMemoryDataRoot, SessionNames.PrivateDirectory(_sessionId), Host.AddNetwork(_sessionId)) { InnerUserns = true };

            // As the first start left it: the replacement writes its entry script there.
            Directory.CreateDirectory(Daemon.SocketDirectory);
            Host.OnCreate = spec =>
            {
                Created.Add(spec);
                return null;
            };
        }

        public FakeEngine Host { get; }

        public FakeEngine Inner { get; }

        public DindDaemon Daemon { get; }

        public List<ContainerSpec> Created { get; } = [];

        public CapturingLog Log { get; } = new(new SecretMasker());

        public InnerUsernsStart Start(InnerUsernsMemory? memory = null, InnerUsernsMemory.Key? key = null) =>
            new(new DindDaemonStarter(Host, Log.Logger), Log.Logger, memory, key);

        public Task<(DindDaemon Daemon, IDockerEngine? Client)> ConfirmAsync(InnerUsernsChoice choice, InnerUsernsStart? start = null, DindDaemon? daemon = null)
        {
            var options = new DindOptions(Tls: false, [], "sysbox-runc") { InnerUserns = true, DataRootInMemory = true };
            return (start ?? Start()).ConfirmAsync(daemon ?? Daemon, choice, options, _ => Task.FromResult<IDockerEngine>(Inner), Cancel);
        }

        public void Dispose()
        {
            if (Directory.Exists(Daemon.SocketDirectory))
            {
                Directory.Delete(Daemon.SocketDirectory, recursive: true);
            }
        }
    }
}
