using System.Formats.Tar;
using System.IO.Compression;
using DindBuild.Diagnostics;
using DindBuild.Images;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>--seed-archive and --seed-image as parameters: read from every source, and a wrong archive refused when read, before any daemon.</summary>
public sealed class SeedArchiveTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private DindSettings Read(Dictionary<string, string[]>? commandLine = null, Dictionary<string, string>? environment = null) =>
        DindParameters.Read(
            _directory.Path,
            name => commandLine is not null && commandLine.TryGetValue(name, out var values) ? values : [],
            name => environment is not null && environment.TryGetValue(name, out var value) ? value : null);

    private string Write(string name, Stream content)
    {
        var path = _directory.Combine(name);
        using var file = File.Create(path);
        content.CopyTo(file);
        return path;
    }

    [Fact]
    public void Seed_images_are_repeatable_on_the_command_line_and_semicolon_separated_in_the_environment()
    {
        Assert.Equal(["helper:1", "localhost:5000/tools/db:2"], Read(new() { ["seed-image"] = ["helper:1", "localhost:5000/tools/db:2", "helper:1"] }).SeedImages);
        Assert.Equal(["a:1", "b:2"], Read(environment: new() { ["DINDBUILD_SEED_IMAGE"] = "a:1;b:2" }).SeedImages);
    }

    [Fact]
    public void Seed_images_come_from_the_parameters_file_too()
    {
        File.WriteAllText(_directory.Combine(ParametersFile.FileName), """{ "seed-image": ["testcontainers/ryuk:0.11.0", "helper:1"] }""");

        Assert.Equal(["testcontainers/ryuk:0.11.0", "helper:1"], Read().SeedImages);
    }

    [Theory]
    [InlineData("Helper:1")]
    [InlineData("--privileged")]
    [InlineData("two words")]
    public void An_invalid_seed_image_name_is_a_bad_parameter(string name)
    {
        var failure = Assert.Throws<DindBuildException>(() => Read(new() { ["seed-image"] = [name] }));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains("--seed-image", failure.Message, StringComparison.Ordinal);
        Assert.Contains("not an image name", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_docker_save_archive_is_read_with_the_images_it_names()
    {
        var path = Write("tools.tar", FakeEngine.SavedArchive("tools:1", "tools:latest"));

        var archive = Assert.Single(Read(new() { ["seed-archive"] = ["tools.tar"] }).SeedArchives);

        Assert.Equal(path, archive.Path);
        Assert.False(archive.Compressed);
        Assert.Equal(["tools:1", "tools:latest"], archive.Images);
    }

    [Fact]
    public void A_gzipped_archive_is_recognised_by_its_content_and_decompressed_on_the_fly()
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            FakeEngine.SavedArchive("tools:1").CopyTo(gzip);
        }

        compressed.Position = 0;
        var archive = SeedArchive.Load(Write("tools.tar.gz", compressed));

        Assert.True(archive.Compressed);
        Assert.Equal(["tools:1"], archive.Images);
        using var reader = new TarReader(archive.Open());
        Assert.Equal("blobs/sha256/0000", reader.GetNextEntry()?.Name);
    }

    [Fact]
    public void An_oci_layout_archive_names_its_images_by_their_annotations()
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, leaveOpen: true))
        {
            var index = """{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":{"io.containerd.image.name":"docker.io/library/tools:1","org.opencontainers.image.ref.name":"1"}}]}""";
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "index.json") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(index)) });
        }

        tar.Position = 0;

        Assert.Equal(["docker.io/library/tools:1"], SeedArchive.Load(Write("oci.tar", tar)).Images);
    }

    [Fact]
    public void A_missing_archive_fails_when_read_and_says_how_to_make_one()
    {
        var failure = Assert.Throws<DindBuildException>(() => Read(new() { ["seed-archive"] = ["nothere.tar"] }));

        Assert.Equal(FailureKind.BadParameters, failure.Kind);
        Assert.Contains(_directory.Combine("nothere.tar") + " does not exist", failure.Message, StringComparison.Ordinal);
        Assert.Contains("docker save", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_tar_is_refused()
    {
        Write("notes.tar", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(new string('x', 2048))));

        var failure = Assert.Throws<DindBuildException>(() => Read(new() { ["seed-archive"] = ["notes.tar"] }));

        Assert.Contains("notes.tar is not an image archive", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tar_without_a_manifest_or_index_is_refused()
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "app/readme.txt") { DataStream = new MemoryStream([1, 2, 3]) });
        }

        tar.Position = 0;
        Write("files.tar", tar);

        var failure = Assert.Throws<DindBuildException>(() => Read(new() { ["seed-archive"] = ["files.tar"] }));

        Assert.Contains("holds neither manifest.json (docker save) nor index.json (OCI image layout)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_is_refused()
    {
        Directory.CreateDirectory(_directory.Combine("images"));

        var failure = Assert.Throws<DindBuildException>(() => Read(new() { ["seed-archive"] = ["images"] }));

        Assert.Contains("is a directory", failure.Message, StringComparison.Ordinal);
    }
}
