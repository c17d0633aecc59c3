using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Reporting;
using DindBuild.Sessions;
using DindBuild.Settings;

namespace DindBuild.Modes;

/// <summary>
/// What a Docker mode decides, once, for a whole session: which engine holds the run's resources,
/// how builds and tests reach "their" daemon, what seeding means and what teardown removes. One
/// implementation per mode (<c>dind</c>, <c>dood</c>, <c>external</c>); no other code asks which mode it is.
/// </summary>
public interface IDaemonMode : IAsyncDisposable
{
    DockerMode Kind { get; }

    /// <summary>
    /// The pull-through mirrors the session daemon asks before Docker Hub (<c>dockerd --registry-mirror</c>): dind, the
    /// <c>--registry-mirror</c> it was started with; a daemon DindBuild does not start has whatever its owner set, unknown here.
    /// </summary>
    IReadOnlyList<string> RegistryMirrors { get; }

    /// <summary>ProvisionEngine: makes sure the engine this mode starts from answers (<c>docker version</c>).</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>PrepareImages: builds, where this mode takes images from, those this machine cannot pull.</summary>
    Task PrepareImagesAsync(IReadOnlyList<string> baseImages, CancellationToken cancellationToken);

    /// <summary>StartDaemon: <c>docker run … docker:dind</c> for dind; for the others, the session opens on the existing daemon.</summary>
    Task StartAsync(string sessionId, string owner, CancellationToken cancellationToken);

    /// <summary>The mode's part of the saved session: what a later build process needs to reach the same engines.</summary>
    SessionState Record(SessionState state);

    /// <summary>A client for the session daemon once it answers <c>/_ping</c> (waits for it after a start).</summary>
    Task<IDockerEngine> DaemonAsync(CancellationToken cancellationToken);

    /// <summary>
    /// SeedImages: <c>docker save | docker load</c> of the images the run needs into the session daemon, where that means
    /// anything (dood: <c>docker image inspect</c> that they are there); returns those the session daemon still lacks,
    /// with where each was looked for.
    /// </summary>
    Task<IReadOnlyList<Images.MissingImage>> SeedAsync(IReadOnlyList<string> images, CancellationToken cancellationToken);

    /// <summary>
    /// PublishImage <c>--load-into-host</c>: <c>docker save IMAGE | docker -H HOST load</c>, streamed, from the session
    /// daemon into the host engine; where the session daemon is the host engine (dood) the image is there already.
    /// </summary>
    Task LoadIntoHostAsync(string image, CancellationToken cancellationToken);

    /// <summary>
    /// How the test container reaches the session daemon: which socket it gets (the socket policy
    /// proxy's where this mode can place it, the daemon's own with <c>--socket-policy permissive</c>,
    /// or none) and what to say about it.
    /// </summary>
    TestDaemonSocket TestSocket(string sessionId);

    /// <summary>Teardown: <c>docker rm/volume rm/network rm</c> of everything labelled with the session, on the engine that holds it; returns how many.</summary>
    Task<int> TeardownAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>
    /// Why no step can continue the session any more, or null while it can (or nothing tells): nothing
    /// labelled with it is left on the engine that holds its resources (<c>docker ps/volume ls/network ls
    /// --filter label=org.dindbuild.session=ID</c> all empty: another checkout's reaper, a hand or an engine
    /// reset removed them), or — dood, external — the daemon at its endpoint is another one now
    /// (<c>docker info</c>'s ID changed). Never provisions an engine; throws when the engine cannot be asked.
    /// </summary>
    Task<string?> WhyGoneAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Removes the sessions on this mode's resource engine whose build process is gone (<see cref="SessionReaper"/>); returns their ids.</summary>
    Task<IReadOnlyList<string>> ReapAsync(TimeSpan? olderThan, CancellationToken cancellationToken);

    /// <summary>The reason behind a step's failure when it is the daemon's death (dind), else null.</summary>
    Task<DindBuildException?> ExplainFailureAsync(string step, Exception failure);

    /// <summary><c>docker logs --tail</c> of the daemon, where this mode runs one; null otherwise.</summary>
    Task<string?> DaemonLogTailAsync();

    /// <summary><c>docker stats</c> of the daemon's container, where there is one; null otherwise.</summary>
    ResourceSampler? StartSampling();

    /// <summary>Why there are no resource samples in this mode, for the report.</summary>
    string SamplesNote { get; }

    /// <summary>The endpoint a kept daemon is reached at from the docker CLI (a docker context), where the session owns a daemon.</summary>
    DockerEndpoint? KeptDaemonEndpoint { get; }
}
