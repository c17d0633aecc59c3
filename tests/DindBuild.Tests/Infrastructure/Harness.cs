using System.Text;
using CliWrap.Buffered;
using DindBuild.Dind;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// Containers and networks a test starts around the build (CI job containers, a DinD "service"),
/// made with the docker CLI and labelled so that a leak would show; all removed on dispose.
/// </summary>
internal sealed class Harness : IAsyncDisposable
{
    private readonly List<string> _containers = [];
    private readonly List<string> _networks = [];
    private readonly List<string> _images = [];
    private readonly TempDirectory _files = new("dindbuild-harness");

    public string Id { get; } = "h" + Guid.NewGuid().ToString("N")[..11];

    public string Label => $"org.dindbuild.session={Id}";

    /// <summary>Flags that make a container a Docker host on this machine: every capability but the one the host lacks, nothing confined.</summary>
    public static IReadOnlyList<string> DindFlags { get; } =
    [
        "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
        "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
        "--mount", "type=volume,dst=/var/lib/docker",
    ];

    /// <summary>Read-only .NET SDK and repository, and the NuGet cache: what a CI job container gets here.</summary>
    public static IReadOnlyList<string> JobFlags { get; } =
    [
        "-v", "/usr/share/dotnet:/usr/share/dotnet:ro",
        "-v", $"{RepositoryRoot.Path}:/src:ro",
        "-v", $"{Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)}/.nuget/packages:/root/.nuget/packages",
        "-e", "DOTNET_ROOT=/usr/share/dotnet",
        "-e", "PATH=/usr/share/dotnet:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "-e", "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1",
        "-e", "DOTNET_CLI_TELEMETRY_OPTOUT=1",
        "-e", "HOME=/root",
        "-e", "CI=true",
    ];

    /// <summary>A writable copy of the repository at /work (sources only), then ./build.sh with the given arguments.</summary>
    public static string BuildInJob(string buildArguments) =>
        "set -e; mkdir -p /work; " +
        "tar -C /src --exclude=./.dindbuild --exclude=./artifacts --exclude=./.git --exclude=bin --exclude=obj -c . | tar -C /work -x; " +
        $"cd /work; ./build.sh {buildArguments}";

    public string EntrypointFile
    {
        get
        {
            var path = _files.Combine("dindbuild-entrypoint.sh");
            if (!File.Exists(path))
            {
                File.WriteAllText(path, EntrypointScript.Text);
            }

            return path;
        }
    }

    public string PrivateDirectory(string name)
    {
        var path = _files.Combine(name);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>An image a test made on the host engine, removed on dispose.</summary>
    public void RemoveImageAfterwards(string image) => _images.Add(image);

    public async Task<string> NetworkAsync()
    {
        var name = $"dindbuild-{Id}-net";
        await DockerCli.OutputAsync(["network", "create", "--label", Label, name]);
        _networks.Add(name);
        return name;
    }

    /// <summary><c>docker run</c> with our label; detached unless <paramref name="detached"/> is false.</summary>
    public async Task<BufferedCommandResult> RunAsync(string name, IReadOnlyList<string> arguments, bool detached = true)
    {
        _containers.Add(name);
        var result = await DockerCli.RunAsync(["run", .. detached ? new[] { "-d" } : [], "--name", name, "--label", Label, .. arguments]);
        TestContext.Current.TestOutputHelper?.WriteLine($"[{name}] exit {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
        return result;
    }

    /// <summary>Polls <paramref name="probe"/> until it exits 0; fails with the container's log after the timeout.</summary>
    public static async Task WaitUntilAsync(string container, Func<Task<BufferedCommandResult>> probe, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        BufferedCommandResult last;
        do
        {
            last = await probe();
            if (last.ExitCode == 0)
            {
                return;
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        while (DateTime.UtcNow < deadline);

        var logs = await DockerCli.RunAsync(["logs", "--tail", "40", container]);
        Assert.Fail($"{container} did not become ready: {last.StandardError}\n--- its log ---\n{logs.StandardOutput}{logs.StandardError}");
    }

    public async ValueTask DisposeAsync()
    {
        var failures = new StringBuilder();
        foreach (var container in _containers)
        {
            var result = await DockerCli.RunAsync(["rm", "-f", "-v", container]);
            if (result.ExitCode != 0 && !result.StandardError.Contains("No such container", StringComparison.Ordinal))
            {
                failures.AppendLine(result.StandardError);
            }
        }

        foreach (var network in _networks)
        {
            await DockerCli.RunAsync(["network", "rm", network]);
        }

        foreach (var image in _images)
        {
            await DockerCli.RunAsync(["rmi", image]);
        }

        _files.Dispose();
        Assert.True(failures.Length == 0, failures.ToString());
    }
}
