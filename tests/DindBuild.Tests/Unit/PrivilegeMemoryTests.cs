using DindBuild.Diagnostics;
using DindBuild.Dind;
using DindBuild.Docker;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Issue 17 item 3: with '--privilege auto', an engine that refused --privileged once is not asked again on later
/// runs (a refused create every run cost time and a warning); another engine, or this one upgraded, is asked again.
/// </summary>
public sealed class PrivilegeMemoryTests : IDisposable
{
    private const string Refusal = "OCI runtime create failed: write /proc/self/oom_score_adj: operation not permitted";

    private readonly TempDirectory _state = new("dindbuild-privileges");
    private readonly List<string> _sessions = [];
    private readonly FakeEngine _host = new FakeEngines().Add("unix:///fake/host.sock");
    private readonly List<bool> _privilegedCreates = [];

    public PrivilegeMemoryTests()
    {
        _host.OnCreate = spec =>
        {
            _privilegedCreates.Add(spec.Privileged);
            return spec.Privileged ? new DockerOperationException("docker create", Refusal) : null;
        };
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_refusal_is_remembered_so_the_next_run_starts_with_capabilities_at_once()
    {
        var firstLog = new CapturingLog(new SecretMasker());
        var first = await StartAsync(firstLog);
        Assert.Equal(PrivilegeProfile.Capabilities, first.Profile);
        Assert.Equal([true, false], _privilegedCreates);
        Assert.Contains("refused a --privileged DinD container", firstLog.Text, StringComparison.Ordinal);

        _privilegedCreates.Clear();
        var secondLog = new CapturingLog(new SecretMasker());
        var second = await StartAsync(secondLog);

        Assert.Equal(PrivilegeProfile.Capabilities, second.Profile);
        Assert.Equal([false], _privilegedCreates);
        Assert.DoesNotContain("refused a --privileged DinD container", secondLog.Text, StringComparison.Ordinal);
        Assert.Contains("refused --privileged before", secondLog.Text, StringComparison.Ordinal);
        Assert.Contains("oom_score_adj", secondLog.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_engine_or_an_upgraded_one_is_asked_again()
    {
        await StartAsync(new CapturingLog(new SecretMasker()));

        _host.DaemonId = "ANOTHER-ENGINE";
        _privilegedCreates.Clear();
        await StartAsync(new CapturingLog(new SecretMasker()));
        Assert.Equal([true, false], _privilegedCreates);

        _host.ServerVersion = "99.0.0";
        _privilegedCreates.Clear();
        await StartAsync(new CapturingLog(new SecretMasker()));
        Assert.Equal([true, false], _privilegedCreates);
    }

    [Fact]
    public async Task An_explicit_profile_and_an_unreadable_memory_never_skip_the_request()
    {
        await StartAsync(new CapturingLog(new SecretMasker()));
        _privilegedCreates.Clear();

        await Assert.ThrowsAsync<DindBuildException>(() => StartAsync(new CapturingLog(new SecretMasker()), PrivilegeProfile.Privileged));
        Assert.Equal([true], _privilegedCreates);

        foreach (var file in Directory.GetFiles(_state.Path))
        {
            await File.WriteAllTextAsync(file, "{ not json", Cancel);
        }

        _privilegedCreates.Clear();
        await StartAsync(new CapturingLog(new SecretMasker()));
        Assert.Equal([true, false], _privilegedCreates);
    }

    public void Dispose()
    {
        foreach (var session in _sessions.Select(SessionNames.PrivateDirectory).Where(Directory.Exists))
        {
            Directory.Delete(session, recursive: true);
        }

        _state.Dispose();
    }

    private Task<DindDaemon> StartAsync(CapturingLog log, PrivilegeProfile requested = PrivilegeProfile.Auto)
    {
        var session = "u" + Guid.NewGuid().ToString("N")[..11];
        _sessions.Add(session);
        var options = new DindOptions(Tls: false, [], "sysbox-runc") { DataRootInMemory = true, PrivilegeMemoryDirectory = _state.Path };
        return new DindDaemonStarter(_host, log.Logger).StartAsync(session, "docker:dind", requested, options, Cancel);
    }
}
