using System.Diagnostics;
using DindBuild.Diagnostics;
using DindBuild.Hosting;
using DindBuild.IO;
using DindBuild.Sessions;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// A saved session found gone (its resources removed elsewhere) is forgotten, and with it goes its private
/// directory: it holds the client's TLS key and the daemon's socket, and nothing labelled is left to lead a
/// Teardown or the reaper to it. Deleting it never fails the step.
/// </summary>
public sealed class ForgottenSessionTests : IDisposable
{
    private readonly FakeSessionHost _host = new();
    private readonly TempDirectory _dockerConfig = new();
    private readonly CapturingLog _log = new(new SecretMasker());

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private string ClientKey => Path.Combine(_host.PrivateDirectory, "key.pem");

    public void Dispose()
    {
        _host.Dispose();
        _dockerConfig.Dispose();
    }

    [Fact]
    public async Task A_gone_session_is_forgotten_with_its_private_directory()
    {
        var store = await SavedGoneAsync(owner: ProcessOwner.Kept);

        Assert.Null(await Live(store).TryLoadAsync(_host.SessionId, Cancel));

        Assert.False(File.Exists(store.PathOf(_host.SessionId)), "the gone session is still saved");
        Assert.False(Directory.Exists(_host.PrivateDirectory), "the gone session's private directory (its client key) is left");
        Assert.DoesNotContain("Could not delete", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_live_session_keeps_its_private_directory()
    {
        var (saved, _, _, _) = _host.SavedDind();
        var store = Save(saved with { Owner = ProcessOwner.Kept });
        await File.WriteAllTextAsync(ClientKey, "key", Cancel);

        Assert.NotNull(await Live(store).TryLoadAsync(_host.SessionId, Cancel));

        Assert.True(File.Exists(ClientKey), "a live session's private directory was deleted");
    }

    [Fact]
    public async Task A_gone_session_without_a_private_directory_is_forgotten_without_a_warning()
    {
        var store = await SavedGoneAsync(owner: ProcessOwner.Kept);
        Directory.Delete(_host.PrivateDirectory, recursive: true);

        Assert.Null(await Live(store).TryLoadAsync(_host.SessionId, Cancel));

        Assert.False(File.Exists(store.PathOf(_host.SessionId)));
        Assert.DoesNotContain("Could not delete", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_private_directory_that_cannot_be_deleted_is_a_warning_naming_it_and_the_step_goes_on()
    {
        var store = await SavedGoneAsync(owner: ProcessOwner.Kept);
        Assert.SkipUnless(await ChattrAsync("+i", ClientKey), "chattr +i (an immutable file, which not even root deletes) does not work here");
        try
        {
            Assert.Null(await Live(store).TryLoadAsync(_host.SessionId, Cancel));

            Assert.False(File.Exists(store.PathOf(_host.SessionId)), "the gone session is still saved");
            var warning = Assert.Single(_log.Text.Split('\n'), line => line.StartsWith("Could not delete the private directory", StringComparison.Ordinal));
            Assert.Contains(_host.PrivateDirectory, warning, StringComparison.Ordinal);
            Assert.Contains(_host.SessionId, warning, StringComparison.Ordinal);
            Assert.Contains("rm -rf", warning, StringComparison.Ordinal);
        }
        finally
        {
            await ChattrAsync("-i", ClientKey);
        }
    }

    [Fact]
    public async Task A_session_another_live_build_here_owns_is_neither_checked_nor_forgotten()
    {
        // That build saves its state before it creates its network and then this directory: it may be starting it now.
        var store = await SavedGoneAsync(owner: LiveOtherProcess());

        Assert.NotNull(await Live(store).TryLoadAsync(_host.SessionId, Cancel));

        Assert.True(File.Exists(store.PathOf(_host.SessionId)), "the state was forgotten under the build that owns the session");
        Assert.True(File.Exists(ClientKey), "the private directory was deleted under the build that owns the session");
    }

    [Fact]
    public async Task A_kept_session_whose_start_is_still_running_in_another_build_here_is_left_to_it()
    {
        // The CI race: StartDaemon --keep-daemon had saved its state (owner "kept") but not yet made its network when a
        // concurrent build of the checkout found nothing labelled, forgot it and deleted its directory mid-start.
        var store = await SavedGoneAsync(owner: ProcessOwner.Kept, savedBy: LiveOtherProcess());

        Assert.NotNull(await Live(store).TryLoadAsync(_host.SessionId, Cancel));

        Assert.True(File.Exists(store.PathOf(_host.SessionId)), "the state was forgotten under the build that is starting the session");
        Assert.True(File.Exists(ClientKey), "the private directory was deleted under the build that is starting the session");
    }

    [Fact]
    public async Task A_kept_session_saved_by_a_build_that_has_ended_is_forgotten_when_gone()
    {
        var store = await SavedGoneAsync(owner: ProcessOwner.Kept, savedBy: $"{Environment.MachineName}:{int.MaxValue}:1");

        Assert.Null(await Live(store).TryLoadAsync(_host.SessionId, Cancel));

        Assert.False(File.Exists(ClientKey), "the gone session's private directory is left");
    }

    [Fact]
    public void Saving_a_state_records_the_build_process_that_saved_it()
    {
        var (state, _, _, _) = _host.SavedDind();
        var store = SessionStore.ForRepository(_host.Options().RepositoryRoot);
        var environment = new Dictionary<string, string> { ["DOCKER_CONFIG"] = _dockerConfig.Path };

        new SavedSessions(store, name => environment.GetValueOrDefault(name), _log.Logger).StateChanged(state with { SavedBy = null });

        Assert.Equal(ProcessOwner.Current, store.TryLoad(_host.SessionId)?.SavedBy);
    }

    /// <summary>A live process of this host other than the test's: pid 1, with its real start time.</summary>
    private static string LiveOtherProcess()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && ProcessStat.Read(1) is not null, "/proc/1/stat is Linux's");
        return $"{Environment.MachineName}:1:{ProcessStat.Read(1)!.StartTime}";
    }

    /// <summary>A saved dind session whose resources were all removed elsewhere; its private directory holds a client key.</summary>
    private async Task<SessionStore> SavedGoneAsync(string owner, string? savedBy = null)
    {
        var (saved, host, _, _) = _host.SavedDind();
        await GoneSessionTests.RemoveEverythingOfAsync(host, _host.SessionId);
        await File.WriteAllTextAsync(ClientKey, "key", Cancel);
        return Save(saved with { Owner = owner, SavedBy = savedBy });
    }

    private SessionStore Save(SessionState state)
    {
        var store = SessionStore.ForRepository(_host.Options().RepositoryRoot);
        store.Save(state, state.ClientEnvironment());
        return store;
    }

    private LiveSessions Live(SessionStore store)
    {
        var environment = new Dictionary<string, string> { ["DOCKER_CONFIG"] = _dockerConfig.Path };
        var saved = new SavedSessions(store, name => environment.GetValueOrDefault(name), _log.Logger);
        return new LiveSessions(saved, _host.Options(), _log.Logger, _host.Services());
    }

    private static async Task<bool> ChattrAsync(string flag, string path)
    {
        try
        {
            using var chattr = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true })!;
            await chattr.WaitForExitAsync(Cancel);
            return chattr.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
