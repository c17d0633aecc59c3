using System.Security.Cryptography;
using System.Text;
using DindBuild.Docker;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

public sealed class DockerContextStoreTests
{
    [Fact]
    public void A_saved_context_is_where_the_docker_CLI_looks_and_reads_back_as_the_same_endpoint()
    {
        using var config = new TempDirectory();
        using var certificates = new TempDirectory();
        foreach (var file in new[] { "ca.pem", "cert.pem", "key.pem" })
        {
            File.WriteAllText(certificates.Combine(file), file + " content");
        }

        var store = new DockerContextStore(config.Path);
        store.Save("dindbuild-abc", new DockerEndpoint(new Uri("tcp://127.0.0.1:40123"), certificates.Path), "a session");

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("dindbuild-abc")));
        Assert.True(File.Exists(Path.Combine(config.Path, "contexts", "meta", hash, "meta.json")));
        var tls = Path.Combine(config.Path, "contexts", "tls", hash, "docker");
        Assert.Equal("key.pem content", File.ReadAllText(Path.Combine(tls, "key.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(tls, "key.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(tls));

        var read = DockerContextReader.CurrentContext(
            name => name switch { "DOCKER_CONFIG" => config.Path, "DOCKER_CONTEXT" => "dindbuild-abc", _ => null },
            out var contextName,
            out var problem);
        Assert.Null(problem);
        Assert.Equal("dindbuild-abc", contextName);
        Assert.Equal(new DockerEndpoint(new Uri("tcp://127.0.0.1:40123"), tls), read);
    }

    [Fact]
    public void Removing_a_context_removes_its_endpoint_and_its_keys_and_a_missing_one_is_no_error()
    {
        using var config = new TempDirectory();
        var store = new DockerContextStore(config.Path);
        store.Save("dindbuild-gone", DockerEndpoint.UnixSocket("/tmp/dindbuild-gone/docker.sock"), "a session");

        Assert.True(store.Remove("dindbuild-gone"));

        Assert.False(store.Exists("dindbuild-gone"));
        Assert.Empty(Directory.EnumerateFiles(config.Path, "*", SearchOption.AllDirectories));
        Assert.False(store.Remove("dindbuild-gone"));
    }

    [Fact]
    public void The_store_follows_DOCKER_CONFIG_else_the_home_directory_like_the_CLI()
    {
        Assert.Equal("/cfg", DockerContextStore.FromEnvironment(name => name == "DOCKER_CONFIG" ? "/cfg" : null).ConfigDirectory);
        Assert.Equal("/home/u/.docker", DockerContextStore.FromEnvironment(name => name == "HOME" ? "/home/u" : null).ConfigDirectory);
    }
}
