using CliWrap;
using CliWrap.Buffered;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// The docker CLI, as an independent witness: tests check what the engine code did through it,
/// never through the code under test.
/// </summary>
internal static class DockerCli
{
    public static async Task<BufferedCommandResult> RunAsync(IReadOnlyList<string> arguments, string? host = null)
    {
        var command = Cli.Wrap("docker").WithArguments(arguments).WithValidation(CommandResultValidation.None);
        if (host is not null)
        {
            command = command.WithEnvironmentVariables(env => env.Set("DOCKER_HOST", host));
        }

        return await command.ExecuteBufferedAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<string> OutputAsync(IReadOnlyList<string> arguments, string? host = null)
    {
        var result = await RunAsync(arguments, host);
        Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', arguments)} failed: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    /// <summary>Every container, volume and network on the host engine labelled with the session (any session when null).</summary>
    public static async Task<IReadOnlyList<string>> LabelledResourcesAsync(string? sessionId)
    {
        var filter = sessionId is null ? "label=org.dindbuild.session" : $"label=org.dindbuild.session={sessionId}";
        var found = new List<string>();
        found.AddRange(Lines(await OutputAsync(["ps", "-aq", "--filter", filter])).Select(id => "container " + id));
        found.AddRange(Lines(await OutputAsync(["volume", "ls", "-q", "--filter", filter])).Select(name => "volume " + name));
        found.AddRange(Lines(await OutputAsync(["network", "ls", "-q", "--filter", filter])).Select(id => "network " + id));
        return found;
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
