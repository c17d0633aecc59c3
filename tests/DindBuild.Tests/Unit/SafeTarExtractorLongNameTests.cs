namespace DindBuild.Tests.Unit;

/// <summary>
/// Names and link targets past Linux's limits (PATH_MAX 4096, NAME_MAX 255) are refused with a short, escaped
/// warning — never an unhandled "path too long" that ends the export: issue 12, item 10.
/// </summary>
public sealed class SafeTarExtractorLongNameTests : SafeTarExtractorTestBase
{
    [Fact]
    public async Task A_symlink_whose_target_is_one_3900_character_name_is_refused_and_the_export_goes_on()
    {
        var target = "start-" + new string('x', 3890) + "-end";
        var tar = Archive(w =>
        {
            w.WriteEntry(Symlink("artifacts/long-link", target));
            w.WriteEntry(File("artifacts/junit.xml", "<testsuite/>"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/long-link"], result.Refused);
        var warning = Assert.Single(Warnings);
        Assert.Contains("NAME_MAX", warning, StringComparison.Ordinal);
        Assert.Contains("start-xxx", warning, StringComparison.Ordinal);
        Assert.Contains("xxx-end", warning, StringComparison.Ordinal);
        Assert.True(warning.Length < 500, $"the warning shows {warning.Length} characters");
        Assert.True(System.IO.File.Exists(Path.Combine(Destination, "junit.xml")));
        Assert.False(Path.Exists(Path.Combine(Destination, "long-link")));
    }

    [Fact]
    public async Task A_symlink_target_longer_than_PATH_MAX_is_refused()
    {
        var target = string.Join('/', Enumerable.Repeat("abcdefgh", 500));
        var tar = Archive(w => w.WriteEntry(Symlink("artifacts/deep-link", target)));

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/deep-link"], result.Refused);
        Assert.Contains("PATH_MAX", Assert.Single(Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symlink_target_that_fits_but_resolves_to_a_too_long_host_path_is_refused()
    {
        // 4,090 bytes of short components: a valid target, but below the destination it is past PATH_MAX.
        var target = string.Join('/', Enumerable.Repeat("abcdefgh", 455))[..4090].TrimEnd('/');
        var tar = Archive(w => w.WriteEntry(Symlink("artifacts/link", target)));

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/link"], result.Refused);
        Assert.Contains("too long", Assert.Single(Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symlink_target_of_4000_characters_in_short_components_that_fits_is_still_extracted()
    {
        var target = string.Join('/', Enumerable.Repeat("abcdefgh", 400))[..3500].TrimEnd('/');
        var tar = Archive(w => w.WriteEntry(Symlink("artifacts/link", target)));

        var result = await ExtractAsync(tar);

        Assert.Empty(result.Refused);
        Assert.Equal(target, new FileInfo(Path.Combine(Destination, "link")).LinkTarget);
    }

    [Theory]
    [InlineData(256)]
    [InlineData(3900)]
    public async Task An_entry_name_with_a_component_past_NAME_MAX_is_refused(int length)
    {
        var name = "artifacts/" + new string('n', length);
        var tar = Archive(w =>
        {
            w.WriteEntry(File(name, "x"));
            w.WriteEntry(Dir(name + "/"));
            w.WriteEntry(File(name + "/inside.txt", "x"));
        });

        var result = await ExtractAsync(tar);

        Assert.Equal([name, name + "/", name + "/inside.txt"], result.Refused);
        Assert.All(Warnings, warning => Assert.True(warning.Length < 500, warning));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Destination));
    }

    [Fact]
    public async Task A_name_of_exactly_NAME_MAX_bytes_is_extracted()
    {
        var name = "artifacts/" + new string('n', 255);
        var tar = Archive(w => w.WriteEntry(File(name, "x")));

        var result = await ExtractAsync(tar);

        Assert.Empty(result.Refused);
        Assert.Equal(1, result.FilesWritten);
    }

    [Fact]
    public async Task An_entry_whose_host_path_would_pass_PATH_MAX_is_refused()
    {
        var deep = string.Join('/', Enumerable.Repeat("abcdefgh", 450));
        var tar = Archive(w => w.WriteEntry(File("artifacts/" + deep + "/report.xml", "x")));

        var result = await ExtractAsync(tar);

        Assert.Single(result.Refused);
        Assert.Contains("host path of", Assert.Single(Warnings), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Destination));
    }

    [Fact]
    public async Task A_hardlink_whose_target_is_too_long_is_refused()
    {
        var tar = Archive(w => w.WriteEntry(HardLink("artifacts/copy", "artifacts/" + new string('h', 3900))));

        var result = await ExtractAsync(tar);

        Assert.Equal(["artifacts/copy"], result.Refused);
        Assert.Contains("NAME_MAX", Assert.Single(Warnings), StringComparison.Ordinal);
    }
}
