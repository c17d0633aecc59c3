using DindBuild.Diagnostics;
using DindBuild.Images;
using DindBuild.Provisioning;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Issue 17 (a faster daemon start): on a host without a registry every run spent 0.7 s on a refused pull of the
/// default DinD image before falling back to DindBuild's own. The refusal is remembered per engine for an hour.
/// </summary>
public sealed class PullRefusalMemoryTests : IDisposable
{
    private readonly TempDirectory _state = new("dindbuild-pulls");
    private readonly FakeEngine _host = new FakeEngines().Add("unix:///fake/host.sock");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));

    public PullRefusalMemoryTests()
    {
        // DindBuild's own DinD image, already built: the fallback costs nothing here.
        _host.AddImage(ImageRecipe.Dind.ImageName, new Dictionary<string, string> { [ImageRecipe.FingerprintLabel] = ImageRecipe.Dind.Fingerprint });
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_refused_pull_of_the_default_image_is_not_asked_again_within_the_hour()
    {
        Assert.Equal(ImageRecipe.Dind.ImageName, await ResolveAsync(DindSettings.DefaultDindImage));
        Assert.Equal(1, _host.Count("image.pull"));

        _clock.Advance(TimeSpan.FromMinutes(59));
        var log = new CapturingLog(new SecretMasker());
        Assert.Equal(ImageRecipe.Dind.ImageName, await ResolveAsync(DindSettings.DefaultDindImage, log));

        Assert.Equal(1, _host.Count("image.pull"));
        Assert.Contains("could not be pulled on this host engine at 12:00 UTC", log.Text, StringComparison.Ordinal);
        Assert.Contains("registry-1.docker.io", log.Text, StringComparison.Ordinal);
        Assert.Contains("until 13:00 UTC", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_the_hour_another_engine_or_a_clock_set_back_the_pull_is_tried_again()
    {
        await ResolveAsync(DindSettings.DefaultDindImage);

        _clock.Advance(TimeSpan.FromMinutes(61));
        await ResolveAsync(DindSettings.DefaultDindImage);
        Assert.Equal(2, _host.Count("image.pull"));

        _host.DaemonId = "ANOTHER-ENGINE";
        await ResolveAsync(DindSettings.DefaultDindImage);
        Assert.Equal(3, _host.Count("image.pull"));

        _clock.Advance(TimeSpan.FromHours(-2));
        await ResolveAsync(DindSettings.DefaultDindImage);
        Assert.Equal(4, _host.Count("image.pull"));
    }

    [Fact]
    public async Task A_registry_that_comes_back_is_used_and_the_refusal_forgotten()
    {
        await ResolveAsync(DindSettings.DefaultDindImage);
        _clock.Advance(TimeSpan.FromMinutes(61));
        _host.Pullable.Add(DindSettings.DefaultDindImage);

        Assert.Equal(DindSettings.DefaultDindImage, await ResolveAsync(DindSettings.DefaultDindImage));
        Assert.Empty(Directory.GetFiles(_state.Path));
    }

    [Fact]
    public async Task An_image_the_user_names_is_always_asked_for_and_its_refusal_is_an_error()
    {
        const string named = "registry.example/team/dind:1";
        for (var run = 0; run < 2; run++)
        {
            var error = await Assert.ThrowsAsync<Diagnostics.DindBuildException>(() => ResolveAsync(named));
            Assert.Contains("cannot be pulled", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2, _host.Count("image.pull"));
        Assert.False(Directory.Exists(_state.Path) && Directory.GetFiles(_state.Path).Length > 0);
    }

    public void Dispose() => _state.Dispose();

    private Task<string> ResolveAsync(string image, CapturingLog? log = null) =>
        new DindImageResolver(_host, new RootfsImageBuilder((log ?? new CapturingLog(new SecretMasker())).Logger), (log ?? new CapturingLog(new SecretMasker())).Logger, _state.Path, _clock).ResolveAsync(image, Cancel);
}
