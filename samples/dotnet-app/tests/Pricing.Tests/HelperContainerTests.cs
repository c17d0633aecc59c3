using DotNet.Testcontainers.Builders;

namespace Pricing.Tests;

/// <summary>
/// A test that uses Docker itself, as integration tests with Testcontainers do: it starts a helper
/// container and talks to it. Under DindBuild the daemon is the session's (the socket at
/// /var/run/docker.sock), so the container lives and dies with the build.
/// </summary>
public sealed class HelperContainerTests
{
    // An image in no FROM line, as a real helper (a database, a broker) is: the build seeds it into the
    // session's daemon with --seed-image (DindTest --seed-image dindbuild/python:trixie), so nothing is pulled.
    // dindbuild/python:trixie is one every DindBuild machine has; override with HELPER_IMAGE.
    private static readonly string Image = Environment.GetEnvironmentVariable("HELPER_IMAGE") is { Length: > 0 } image ? image : "dindbuild/python:trixie";

    [Fact]
    public async Task A_helper_container_runs_and_answers()
    {
        await using var helper = new ContainerBuilder(Image)
            .WithCommand("sh", "-c", "echo helper-ready; exec sleep 300")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("helper-ready"))
            .WithLabel("org.example.sample", "pricing-tests")
            .Build();

        await helper.StartAsync();
        RecordForTheBuild(helper.Id);

        var result = await helper.ExecAsync(["sh", "-c", "echo $((6 * 7))"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("42", result.Stdout.Trim());
    }

    /// <summary>Where DindBuild exports artifacts from, the id goes too: the build can then check that the container is gone.</summary>
    private static void RecordForTheBuild(string id)
    {
        var artifacts = Environment.GetEnvironmentVariable("ARTIFACTS_PATH");
        if (!string.IsNullOrEmpty(artifacts) && Directory.Exists(artifacts))
        {
            File.WriteAllText(Path.Combine(artifacts, "helper-container.txt"), id + "\n");
        }
    }
}
