using DindBuild.Docker;
using DindBuild.Images;

namespace DindBuild.Tests.Unit;

/// <summary>Push progress summed over layers from the daemon's lines, as the periodic progress line shows it.</summary>
public sealed class PushProgressTests
{
    [Fact]
    public void Bytes_sum_over_uploading_layers_a_pushed_layer_counts_whole_and_one_the_registry_had_counts_nothing()
    {
        var progress = new PushProgress();

        progress.Observe(new PushStatus("aaa", "Preparing", null, null));
        progress.Observe(new PushStatus("bbb", "Preparing", null, null));
        progress.Observe(new PushStatus("ccc", "Layer already exists", null, null));
        progress.Observe(new PushStatus("aaa", "Pushing", 100, 1000));
        progress.Observe(new PushStatus("bbb", "Pushing", 50, 200));
        Assert.Equal(150, progress.BytesSent);

        progress.Observe(new PushStatus("aaa", "Pushing", 400, 1000));
        progress.Observe(new PushStatus("bbb", "Pushed", null, null));
        progress.Observe(new PushStatus(null, "latest: digest: sha256:0 size: 1", null, null));

        Assert.Equal(600, progress.BytesSent);
        Assert.Equal((1, 1), progress.Layers);
    }
}
