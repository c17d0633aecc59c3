using DindBuild.Diagnostics;
using DindBuild.Settings;
using Serilog;

namespace DindBuild.Compose;

/// <summary>
/// One session's compose project, <c>dindbuild-SESSION</c>, run by the real Docker Compose v2 in the DinD container
/// (<see cref="DindComposeHost"/>): its files copied in, its model asked of compose, an override that labels and never
/// pulls (<see cref="ComposeOverride"/>), <c>up</c>, <c>ps</c> and <c>down</c>.
/// </summary>
internal sealed class ComposeStack(DindComposeHost host, ComposeOptions options, string sessionId, ILogger log)
{
    public string Project => ProjectName(sessionId);

    public static string ProjectName(string sessionId) => $"dindbuild-{sessionId}";

    /// <summary>
    /// Copies the compose files' directories into the DinD container, reads the model (<c>config --format json</c>),
    /// checks that the test service is in it, and writes the override. Returns the model.
    /// </summary>
    public async Task<ComposeModel> PrepareAsync(IReadOnlyList<string> neverSent, string owner, string artifactsPath, CancellationToken cancellationToken)
    {
        await host.CopyDirectoriesAsync(ComposeDirectories.ToCopy(options.Files), neverSent, cancellationToken).ConfigureAwait(false);
        var (exitCode, output, errors) = await RunAsync([.. Arguments(withOverride: false), "config", "--format", "json"], quiet: true, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"docker compose could not read the compose files (exit code {exitCode}).",
                $"docker compose {string.Join(' ', Arguments(withOverride: false))} config:\n{TextTail.LastLines(string.Join('\n', errors), 20)}",
                "fix the compose file ('docker compose -f FILE config' beside it shows the same error).");
        }

        var model = ComposeModel.Parse(string.Join('\n', output), Project);
        RequireTestService(model, options);
        foreach (var outside in ComposeDirectories.BindSourcesOutside(model, options.Files))
        {
            log.Warning("The bind mount source {Source} is outside the compose files' directories: it resolves in the DinD container's filesystem, where DindBuild did not copy it", outside);
        }

        await host.PutFileAsync(host.OverridePath, ComposeOverride.Json(model, sessionId, owner, options.TestService, artifactsPath), cancellationToken).ConfigureAwait(false);
        return model;
    }

    /// <summary><c>up --detach</c>: every service created and started in depends_on order; fails when a dependency does not become healthy or exits.</summary>
    public Task<(long ExitCode, List<string> Output, List<string> Errors)> UpAsync(CancellationToken cancellationToken) =>
        RunAsync([.. Arguments(withOverride: true), "up", "--detach", "--no-build", "--pull", "never", "--force-recreate", "--remove-orphans", "--renew-anon-volumes"], quiet: false, cancellationToken);

    public async Task<IReadOnlyList<ComposeServiceState>> PsAsync(CancellationToken cancellationToken)
    {
        var (_, output, _) = await RunAsync(["-p", Project, "ps", "--all", "--format", "json"], quiet: true, cancellationToken).ConfigureAwait(false);
        return ComposeServiceState.ParseAll(output);
    }

    /// <summary>What the container's last healthchecks printed (<c>docker inspect</c> .State.Health.Log), or "" for none.</summary>
    public async Task<string> HealthOutputAsync(string containerId, CancellationToken cancellationToken)
    {
        var output = new List<string>();
        await host.DockerAsync(["inspect", "--format", "{{if .State.Health}}{{range .State.Health.Log}}exit {{.ExitCode}}: {{.Output}}{{end}}{{end}}", containerId], (line, _) => output.Add(line), cancellationToken).ConfigureAwait(false);
        return TextTail.LastLines(string.Join('\n', output.Where(line => line.Length > 0)), 10);
    }

    /// <summary><c>down --volumes --remove-orphans</c> by project name (needs no files, so a later process can run it too).</summary>
    public async Task DownAsync(CancellationToken cancellationToken)
    {
        var (exitCode, _, errors) = await RunAsync(["-p", Project, "down", "--volumes", "--remove-orphans", "--timeout", "0"], quiet: true, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            log.Warning("docker compose down of {Project} exited with {ExitCode}: {Errors}", Project, exitCode, string.Join(" / ", errors.TakeLast(5)));
        }
    }

    /// <summary>The test service must be in the model (a profile not given leaves a service out): else the services found, and the nearest name.</summary>
    internal static void RequireTestService(ComposeModel model, ComposeOptions options)
    {
        if (model.Find(options.TestService) is not null)
        {
            return;
        }

        var names = model.Services.Select(service => service.Name).ToList();
        var nearest = NearestName.Find(options.TestService, names, maxDistance: 3);
        throw new DindBuildException(
            FailureKind.BadParameters,
            $"The compose test service '{options.TestService}' is not in the stack.",
            $"services in {string.Join(", ", options.Files)}{(options.Profiles.IsEmpty ? "" : $" with profiles {string.Join(", ", options.Profiles)}")}: {(names.Count == 0 ? "(none)" : string.Join(", ", names))}",
            nearest is null
                ? $"name the service whose exit code decides with '--compose-service NAME' (default: {ComposeOptions.DefaultTestService}), or add its profile with '--compose-profile'."
                : $"did you mean '--compose-service {nearest}'?");
    }

    private List<string> Arguments(bool withOverride)
    {
        var arguments = new List<string> { "--ansi", "never", "-p", Project };
        foreach (var file in options.Files)
        {
            arguments.AddRange(["-f", file]);
        }

        if (withOverride)
        {
            arguments.AddRange(["-f", host.OverridePath]);
        }

        foreach (var profile in options.Profiles)
        {
            arguments.AddRange(["--profile", profile]);
        }

        return arguments;
    }

    private async Task<(long ExitCode, List<string> Output, List<string> Errors)> RunAsync(IReadOnlyList<string> arguments, bool quiet, CancellationToken cancellationToken)
    {
        var output = new List<string>();
        var errors = new List<string>();
        var exitCode = await host.ComposeAsync(arguments, (line, stderr) =>
        {
            lock (output)
            {
                (stderr ? errors : output).Add(line);
            }

            if (!quiet)
            {
                log.Information("compose │ {Line}", SafeText.Escape(line));
            }
        }, cancellationToken).ConfigureAwait(false);
        return (exitCode, output, errors);
    }
}
