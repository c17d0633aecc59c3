using CliWrap;
using CliWrap.Buffered;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// The docker CLI, as an independent witness: tests check what the engine code did through it,
/// never through the code under test.
/// </summary>
internal static class DockerCli
{
    public static async Task<BufferedCommandResult> RunAsync(IReadOnlyList<string> arguments, string? host = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>());
        if (host is not null)
        {
            variables["DOCKER_HOST"] = host;
        }

        return await Cli.Wrap("docker").WithArguments(arguments).WithEnvironmentVariables(variables).WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<string> OutputAsync(IReadOnlyList<string> arguments, string? host = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var result = await RunAsync(arguments, host, environment);
        Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', arguments)} failed: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    /// <summary>
    /// The IDs of the containers matching a <c>docker ps</c> filter that are still there after waiting up to 90 s for them
    /// to go. A global filter may also match what a test running in parallel holds for a few seconds, but one that
    /// leaked never goes.
    /// </summary>
    public static Task<string> ContainersLeftAsync(string filter) => LeftAsync(["ps", "-aq", "--filter", filter]);

    /// <summary>The same for volumes (<c>docker volume ls</c>): another test's quick reap may be removing one right now.</summary>
    public static Task<string> VolumesLeftAsync(string filter) => LeftAsync(["volume", "ls", "-q", "--filter", filter]);

    private static async Task<string> LeftAsync(string[] list)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        string left;
        while ((left = await OutputAsync(list)).Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }

        return left;
    }

    /// <summary>Every container, volume and network on the host engine labelled with the session (any session when null).</summary>
    /// <summary>
    /// Testcontainers 4.16 asks for API 1.44; an older host engine (Debian 12's Docker 20.10: 1.41) refuses that
    /// unless DOCKER_API_VERSION names what it speaks, as a team on such an engine sets it: the --test-env for that.
    /// </summary>
    public static async Task<IReadOnlyList<string>> TestcontainersApiArgumentsAsync()
    {
        var api = await OutputAsync(["version", "--format", "{{.Server.APIVersion}}"]);
        return Version.Parse(api) < new Version(1, 44) ? ["--test-env", "DOCKER_API_VERSION=" + api] : [];
    }

    public static async Task<IReadOnlyList<string>> LabelledResourcesAsync(string? sessionId, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var filter = sessionId is null ? "label=org.dindbuild.session" : $"label=org.dindbuild.session={sessionId}";
        var found = new List<string>();
        found.AddRange(Lines(await OutputAsync(["ps", "-aq", "--filter", filter], environment: environment)).Select(id => "container " + id));
        found.AddRange(Lines(await OutputAsync(["volume", "ls", "-q", "--filter", filter], environment: environment)).Select(name => "volume " + name));
        found.AddRange(Lines(await OutputAsync(["network", "ls", "-q", "--filter", filter], environment: environment)).Select(id => "network " + id));
        return found;
    }

    /// <summary>What another checkout's reaper (or a hand) does to a session: every container, volume and network labelled with it removed.</summary>
    public static async Task RemoveLabelledAsync(string sessionId)
    {
        var filter = $"label=org.dindbuild.session={sessionId}";
        foreach (var id in Lines(await OutputAsync(["ps", "-aq", "--filter", filter])))
        {
            await OutputAsync(["rm", "-f", id]);
        }

        foreach (var name in Lines(await OutputAsync(["volume", "ls", "-q", "--filter", filter])))
        {
            await OutputAsync(["volume", "rm", "-f", name]);
        }

        foreach (var id in Lines(await OutputAsync(["network", "ls", "-q", "--filter", filter])))
        {
            await OutputAsync(["network", "rm", id]);
        }
    }

    /// <summary>The docker CLI's environment for an endpoint: DOCKER_HOST, and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH for TLS.</summary>
    public static IReadOnlyDictionary<string, string?> EnvironmentFor(DindBuild.Docker.DockerEndpoint endpoint) =>
        endpoint.ClientEnvironment().ToDictionary(pair => pair.Key, pair => (string?)pair.Value);

    /// <summary><c>docker save IMAGES | docker load</c> into another engine, through the CLI.</summary>
    public static async Task CopyImagesAsync(IReadOnlyList<string> images, IReadOnlyDictionary<string, string?> targetEnvironment)
    {
        var target = string.Join(' ', targetEnvironment.Select(pair => $"{pair.Key}='{pair.Value}'"));
        var result = await Cli.Wrap("bash").WithArguments(["-o", "pipefail", "-c", $"docker save {string.Join(' ', images)} | env {target} docker load"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, $"seeding {string.Join(", ", images)} failed: {result.StandardError}");
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
