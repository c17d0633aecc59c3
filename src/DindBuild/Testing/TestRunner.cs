using System.Diagnostics;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Testing;

/// <summary>
/// Runs the tests in a container from the built image, with a volume at the artifacts path, its
/// output streamed to the log; a timeout kills it.
/// </summary>
internal sealed class TestRunner(IDockerEngine engine, ILogger log)
{
    private const int TailLines = 30;

    /// <summary>Where tests that use Docker look for it.</summary>
    private const string SocketInTestContainer = SessionNames.DockerSocketPath;

    public async Task<TestRunResult> RunAsync(TestRunRequest request, CancellationToken cancellationToken)
    {
        // A kept session runs its tests again: from a fresh container and an empty artifacts volume,
        // so that the name is free and no report of the earlier run is exported as this run's.
        var name = SessionNames.TestContainer(request.SessionId);
        await engine.Containers.RemoveAsync(name, cancellationToken).ConfigureAwait(false);
        await engine.Volumes.RemoveAsync(request.ArtifactsVolume, cancellationToken).ConfigureAwait(false);
        await ResourceCreation.RunAsync(ct => engine.Volumes.CreateAsync(request.ArtifactsVolume, SessionLabels.For(request.SessionId, "artifacts", request.Owner), ct), cancellationToken).ConfigureAwait(false);
        var spec = new ContainerSpec(request.Image)
        {
            Name = name,
            Command = request.Command is null ? null : ["sh", "-c", request.Command],
            Environment = request.ExtraCa.IsEmpty ? request.Environment : Trust.TestContainerTrust.WithVariables(request.Environment),
            Labels = SessionLabels.For(request.SessionId, "tests", request.Owner),
            Mounts = [new MountSpec(MountKind.Volume, request.ArtifactsVolume, request.ArtifactsPath)],
        };

        var id = await CreateAsync(spec, request, cancellationToken).ConfigureAwait(false);
        if (!request.ExtraCa.IsEmpty)
        {
            await Trust.TestContainerTrust.InstallAsync(engine.Containers, id, request.ExtraCa, log, cancellationToken).ConfigureAwait(false);
        }

        var tail = new Queue<string>();
        var clock = Stopwatch.StartNew();
        try
        {
            await engine.Containers.StartAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerOperationException ex)
        {
            throw new DindBuildException(
                FailureKind.TestsFailed,
                $"The test container could not start: {ex.EngineMessage}",
                $"image: {request.Image}; command: {request.Command ?? "(the image's CMD)"}",
                "check '--test-command' (or the image's CMD): the program must exist in the image.",
                ex);
        }

        log.Information("Running tests in {Container} (timeout {Timeout})", spec.Name, request.Timeout);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(request.Timeout);
        var logs = engine.Containers.FollowLogsAsync(
            id,
            line =>
            {
                log.Information("test │ {Line}", line);
                lock (tail)
                {
                    tail.Enqueue(line);
                    if (tail.Count > TailLines)
                    {
                        tail.Dequeue();
                    }
                }
            },
            cancellationToken);

        var timedOut = false;
        long exitCode;
        try
        {
            exitCode = await engine.Containers.WaitAsync(id, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Killed either way: on timeout to end the run, on cancellation so nothing keeps running.
            await engine.Containers.KillAsync(id, CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
            exitCode = await engine.Containers.WaitAsync(id, CancellationToken.None).ConfigureAwait(false);
        }

        await DrainAsync(logs).ConfigureAwait(false);
        lock (tail)
        {
            return new TestRunResult(id, exitCode, timedOut, clock.Elapsed, [.. tail]);
        }
    }

    /// <summary>
    /// With the socket mounted, so tests that use Docker reach "their" daemon. Where the daemon may be
    /// unable to mount it (an external daemon without the usual socket; a daemon that does not see
    /// the policy socket's file), the tests run without it, with a warning.
    /// </summary>
    private async Task<string> CreateAsync(ContainerSpec spec, TestRunRequest request, CancellationToken cancellationToken)
    {
        if (request.DaemonSocketSource is not { } socket)
        {
            return await ResourceCreation.RunAsync(ct => engine.Containers.CreateAsync(spec, ct), cancellationToken).ConfigureAwait(false);
        }

        var withSocket = spec with { Mounts = spec.Mounts.Add(new MountSpec(MountKind.Bind, socket, SocketInTestContainer)) };
        try
        {
            return await ResourceCreation.RunAsync(ct => engine.Containers.CreateAsync(withSocket, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerOperationException ex) when (!request.DaemonSocketRequired)
        {
            log.Warning(
                "{WithoutSocket} ({Reason})",
                request.WithoutSocket ?? $"The socket {socket} cannot be mounted into the test container; tests that use Docker will not find it",
                ex.EngineMessage);
            return await ResourceCreation.RunAsync(ct => engine.Containers.CreateAsync(spec, ct), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DrainAsync(Task logs)
    {
        try
        {
            await logs.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or IOException)
        {
            log.Debug("The test container's log stream did not end cleanly: {Reason}", ex.Message);
        }
    }
}

/// <summary>What the test container is given.</summary>
internal sealed record TestRunRequest(
    string SessionId,
    string Image,
    string? Command,
    System.Collections.Immutable.ImmutableArray<string> Environment,
    string ArtifactsVolume,
    string ArtifactsPath,
    TimeSpan Timeout)
{
    /// <summary>The daemon's socket as a path on the daemon's host, mounted at /var/run/docker.sock; null for none.</summary>
    public string? DaemonSocketSource { get; init; }

    /// <summary>When false, a socket that cannot be mounted is a warning, not a failure.</summary>
    public bool DaemonSocketRequired { get; init; } = true;

    /// <summary>That warning: why the tests then run without a socket, and how to opt in to one.</summary>
    public string? WithoutSocket { get; init; }

    public string Owner { get; init; } = ProcessOwner.Current;

    /// <summary>CA certificates the test container trusts besides its image's own (see <see cref="Trust.TestContainerTrust"/>).</summary>
    public Trust.CaBundle ExtraCa { get; init; } = Trust.CaBundle.Empty;
}
