using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Provisioning;

namespace DindBuild.Tests.Unit;

public sealed class SmallTypesTests
{
    [Theory]
    [InlineData("docker:28.5.1-dind", "docker", "28.5.1-dind")]
    [InlineData("dindbuild/python", "dindbuild/python", "latest")]
    [InlineData("localhost:5000/app", "localhost:5000/app", "latest")]
    [InlineData("localhost:5000/app:1.2", "localhost:5000/app", "1.2")]
    [InlineData("alpine@sha256:abc", "alpine", "sha256:abc")]
    public void Image_references_split_into_repository_and_tag(string name, string repository, string tag)
    {
        var reference = ImageReference.Parse(name);

        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.TagOrDigest);
    }

    [Fact]
    public void The_endpoint_follows_DOCKER_HOST_and_its_TLS_variables_like_the_docker_CLI()
    {
        var none = DockerEndpoint.FromEnvironment(_ => null);
        var tcp = DockerEndpoint.FromEnvironment(name => name switch
        {
            "DOCKER_HOST" => "tcp://docker:2376",
            "DOCKER_TLS_VERIFY" => "1",
            "DOCKER_CERT_PATH" => "/certs/client",
            _ => null,
        });

        Assert.Equal(DockerEndpoint.DefaultUnixSocket, none);
        Assert.Equal("unix:///var/run/docker.sock", none.DockerHost);
        Assert.Equal("tcp://docker:2376", tcp.DockerHost);
        Assert.Equal("/certs/client", tcp.TlsCertificateDirectory);
    }

    [Fact]
    public void The_client_environment_of_an_endpoint_reads_back_as_the_same_endpoint()
    {
        var tls = new DockerEndpoint(new Uri("tcp://127.0.0.1:32770"), "/tmp/dindbuild-x/client");
        var socket = DockerEndpoint.UnixSocket("/tmp/dindbuild-x/docker.sock");

        Assert.Equal(tls, DockerEndpoint.FromEnvironment(name => tls.ClientEnvironment().GetValueOrDefault(name)));
        Assert.Equal(socket, DockerEndpoint.FromEnvironment(name => socket.ClientEnvironment().GetValueOrDefault(name)));
        Assert.False(socket.ClientEnvironment().ContainsKey("DOCKER_TLS_VERIFY"));
    }

    [Fact]
    public void Debian_mirror_is_read_from_one_line_and_deb822_sources_skipping_the_security_archive()
    {
        string deb822 = "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n";
        string oneLine = "deb [arch=amd64] http://ftp.example/debian bookworm main\n";

        Assert.Equal("http://mirror.example/debian", DebianMirror.FromSources([deb822]));
        Assert.Equal("http://ftp.example/debian", DebianMirror.FromSources([oneLine]));
        Assert.Null(DebianMirror.FromSources(["# nothing here"]));
    }

    [Fact]
    public void Recipe_fingerprints_change_with_the_recipe_only()
    {
        var changed = ImageRecipe.Python with { Packages = ImageRecipe.Python.Packages.Add("curl") };

        Assert.Equal(ImageRecipe.Python.Fingerprint, (ImageRecipe.Python with { }).Fingerprint);
        Assert.NotEqual(ImageRecipe.Python.Fingerprint, changed.Fingerprint);
        Assert.Same(ImageRecipe.Dind, ImageRecipe.ForImage("dindbuild/dind:trixie"));
        Assert.Null(ImageRecipe.ForImage("docker:dind"));
    }

    [Fact]
    public void A_failure_message_says_what_failed_shows_the_evidence_and_how_to_fix_it()
    {
        var failure = new DindBuildException(FailureKind.Infrastructure, "The daemon did not start.", "line one\nline two", "raise --daemon-timeout.");

        Assert.Equal(
            string.Join(Environment.NewLine, "The daemon did not start.", "Evidence:", "  line one", "  line two", "How to fix: raise --daemon-timeout."),
            failure.Message);
    }

    [Fact]
    public void Log_tails_keep_the_last_lines()
    {
        Assert.Equal("c\nd", TextTail.LastLines("a\nb\nc\nd\n", 2));
        Assert.Equal("only", TextTail.LastLines("only", 5));
    }
}
