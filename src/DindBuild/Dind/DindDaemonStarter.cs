// Just over 300 lines: one start sequence (privilege profile, seed snapshot, create, start, its fallbacks) kept in
// order in one file so each fallback reads next to the step it recovers; the container spec itself is in DindContainerSpecs.
using System.Net;
using System.Text.RegularExpressions;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.IO;
using DindBuild.Images.Snapshots;
using DindBuild.Sessions;
using DindBuild.Readiness;
using DindBuild.Settings;
using DindBuild.Tls;
using Serilog;

namespace DindBuild.Dind;

/// <summary>
/// Starts a DinD daemon in a container on the host engine, and waits until its API answers. The
/// client for the daemon's endpoint comes from <c>connect</c>: Docker.DotNet by default, a fake in unit tests.
/// </summary>
internal sealed partial class DindDaemonStarter(IDockerEngine host, ILogger log, Func<DockerEndpoint, IDockerEngine>? connect = null)
{
    private const int LogTailLines = 30;

    /// <summary>
    /// Creates the session's network, data volume and private socket directory, then the container,
    /// and starts it; with TLS on, writes the certificates once the container's addresses are known.
    /// Every resource is labelled first, so teardown finds it even if this method fails half-way.
    /// <paramref name="seedSnapshot"/>, given the private directory, returns the seed snapshot volume the
    /// container starts from (made there if need be), or null.
    /// </summary>
    public async Task<DindDaemon> StartAsync(string sessionId, string image, PrivilegeProfile requested, DindOptions options, CancellationToken cancellationToken, Func<string, Task<string?>>? seedSnapshot = null)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new DindBuildException(FailureKind.BadParameters, "The 'dind' mode needs a Linux Docker host.", null, "use '--docker-mode external' with a Linux engine.");
        }

        // A network of its own: containers of other runs on the default bridge cannot reach this daemon.
        // Created before the private directory, so that a run killed in between leaves a labelled
        // resource by which the reaper finds the directory too.
        var network = SessionNames.Network(sessionId);
        await ResourceCreation.RunAsync(ct => host.Networks.CreateAsync(network, SessionLabels.For(sessionId, "network", options.Owner), ct), cancellationToken).ConfigureAwait(false);

        // 0700: whoever can reach this socket or the client key is root in the DinD daemon.
        var socketDirectory = SessionNames.PrivateDirectory(sessionId);
        PrivateFiles.CreateDirectory(socketDirectory);
        if (seedSnapshot is not null && options.CacheVolume is null)
        {
            options = options with { SeedSnapshot = await seedSnapshot(socketDirectory).ConfigureAwait(false) };
        }

        return await StartContainerAsync(sessionId, image, requested, socketDirectory, network, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces the session's DinD container with one started with other <paramref name="options"/>
    /// (the inner user namespace's fallback) and the profile <paramref name="previous"/> ended up with;
    /// the network and the private directory stay, the data root is taken as for a first start.
    /// </summary>
    public async Task<DindDaemon> ReplaceAsync(DindDaemon previous, DindOptions options, CancellationToken cancellationToken)
    {
        await host.Containers.RemoveAsync(previous.ContainerId, cancellationToken).ConfigureAwait(false);
        var sessionId = previous.ContainerName["dindbuild-".Length..];
        return await StartContainerAsync(sessionId, previous.Image, previous.Profile, previous.SocketDirectory, previous.Network, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DindDaemon> StartContainerAsync(string sessionId, string image, PrivilegeProfile requested, string socketDirectory, string network, DindOptions options, CancellationToken cancellationToken)
    {
        // A certificate left by an earlier start of this session would let dockerd start on the wrong one.
        var staleServerCertificates = Path.Combine(socketDirectory, DindDaemon.ServerCertificateSubdirectory);
        if (Directory.Exists(staleServerCertificates))
        {
            Directory.Delete(staleServerCertificates, recursive: true);
        }

        WriteCaBundle(socketDirectory, options.ExtraCa);
        WriteRegistryCas(socketDirectory, options.RegistryCas);
        Task<DindDaemon> StartOn(string dataVolume) => StartWithProfileAsync(sessionId, image, requested, dataVolume, socketDirectory, network, options, cancellationToken);
        var daemon = options.CacheVolume is { } cache
            ? await new CacheVolumeStart(host, log).StartAsync(cache, image, options, StartOn, ephemeral: () => CreateEphemeralVolumeAsync(sessionId, options, cancellationToken), cancellationToken).ConfigureAwait(false)
            : await StartOn(await CreateEphemeralVolumeAsync(sessionId, options, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        return options.Tls ? await SecureAsync(daemon, options, cancellationToken).ConfigureAwait(false) : daemon;
    }

    /// <summary>
    /// Through the bind-mounted private directory, like the server certificate: the entry script points dockerd's
    /// SSL_CERT_DIR at it before dockerd starts (Go reads the system store once, at the first TLS connection).
    /// </summary>
    private void WriteCaBundle(string socketDirectory, Trust.CaBundle extraCa)
    {
        var directory = Path.Combine(socketDirectory, DindDaemon.CaSubdirectory);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        if (extraCa.IsEmpty)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        extraCa.WriteTo(Path.Combine(directory, "dindbuild-extra-ca.crt"));
        log.Information("The DinD daemon trusts {Count} extra CA certificate(s) for its pulls (dockerd's SSL_CERT_DIR adds {Directory} to its system store)", extraCa.Count, DindContainerSpecs.CaDirectoryInContainer);
    }

    /// <summary><c>certs.d/HOST/ca.crt</c> per <c>--registry-ca</c>, where the entry script copies them from into dockerd's certs.d.</summary>
    private void WriteRegistryCas(string socketDirectory, IReadOnlyList<Trust.RegistryCa> registryCas)
    {
        var directory = Path.Combine(socketDirectory, DindDaemon.CertsDSubdirectory);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        foreach (var registry in registryCas)
        {
            var hostDirectory = Directory.CreateDirectory(Path.Combine(directory, registry.DirectoryName)).FullName;
            registry.Certificates.WriteTo(Path.Combine(hostDirectory, "ca.crt"));
            log.Information("The DinD daemon trusts {Count} CA certificate(s) for the registry {Registry} (/etc/docker/certs.d/{Registry}/ca.crt)", registry.Certificates.Count, registry.Host, registry.DirectoryName);
        }
    }

    private async Task<string> CreateEphemeralVolumeAsync(string sessionId, DindOptions options, CancellationToken cancellationToken)
    {
        if (options.DataRootInMemory)
        {
            return DindContainerSpecs.InMemoryDataRoot;
        }

        var dataVolume = SessionNames.DataVolume(sessionId);
        await ResourceCreation.RunAsync(ct => host.Volumes.CreateAsync(dataVolume, SessionLabels.For(sessionId, "dind-data", options.Owner), ct), cancellationToken).ConfigureAwait(false);
        return dataVolume;
    }

    private async Task<DindDaemon> StartWithProfileAsync(string sessionId, string image, PrivilegeProfile requested, string dataVolume, string socketDirectory, string network, DindOptions options, CancellationToken cancellationToken)
    {
        var memory = requested == PrivilegeProfile.Auto && options.PrivilegeMemoryDirectory is { } directory ? new PrivilegeMemory(directory, log) : null;
        if (memory is not null && await memory.RefusedAsync(host, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            // Asking again would cost a refused create on every run; a new engine or version is asked again.
            log.Information("This host engine refused --privileged before: {Reason}; using the 'capabilities' profile ('--privilege privileged' asks it again)", refusal);
            requested = PrivilegeProfile.Capabilities;
        }

        var profile = requested == PrivilegeProfile.Auto ? PrivilegeProfile.Privileged : requested;
        try
        {
            return await CreateAndStartAsync(new DindDaemon("", SessionNames.DindContainer(sessionId), image, profile, dataVolume, socketDirectory, network), options, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerOperationException ex) when (requested == PrivilegeProfile.Auto)
        {
            log.Warning("The runtime refused a --privileged DinD container ({Reason}); falling back to the 'capabilities' profile", ex.EngineMessage);
            if (memory is not null)
            {
                await memory.RememberRefusalAsync(host, ex.EngineMessage, cancellationToken).ConfigureAwait(false);
            }

            return await CreateAndStartAsync(new DindDaemon("", SessionNames.DindContainer(sessionId), image, PrivilegeProfile.Capabilities, dataVolume, socketDirectory, network), options, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerOperationException ex)
        {
            throw new DindBuildException(
                FailureKind.Infrastructure,
                $"The DinD container could not start with the '{profile.ToString().ToLowerInvariant()}' privilege profile: {ex.EngineMessage}",
                $"image {image}; {ex.Operation}",
                profile == PrivilegeProfile.Sysbox
                    ? $"install the '{options.SysboxRuntime}' runtime on the host engine (or name yours with '--runtime'), or choose another '--privilege'."
                    : "choose another '--privilege' ('auto' falls back from privileged to capabilities).",
                ex);
        }
    }

    /// <summary>
    /// Makes the CA, the server certificate (its names: the container's addresses and names, docker,
    /// localhost, 127.0.0.1 and any extra) and the client certificate, all into the private directory,
    /// which the container mounts: the entry script starts dockerd once the server's "ready" marker is there.
    /// </summary>
    private async Task<DindDaemon> SecureAsync(DindDaemon daemon, DindOptions options, CancellationToken cancellationToken)
    {
        var status = await host.Containers.InspectAsync(daemon.ContainerId, cancellationToken).ConfigureAwait(false)
            ?? throw new DindBuildException(FailureKind.Infrastructure, $"The DinD container {daemon.ContainerName} disappeared right after it started.");
        if (!status.PublishedPorts.TryGetValue(DindContainerSpecs.TlsPort, out var address))
        {
            throw new DindBuildException(FailureKind.Infrastructure, $"The engine did not publish port {DindContainerSpecs.TlsPort} of {daemon.ContainerName}.", $"published: {string.Join(", ", status.PublishedPorts)}");
        }

        var ipAddresses = status.IpAddresses.Select(IPAddress.Parse).Append(IPAddress.Loopback).Concat(options.TlsExtraNames.Select(TryParseAddress).OfType<IPAddress>());
        string[] dnsNames = ["docker", "localhost", daemon.ContainerName, status.Hostname, .. options.TlsExtraNames.Where(name => TryParseAddress(name) is null)];
        using var material = TlsMaterial.Generate(daemon.ContainerName, dnsNames.Where(name => name.Length > 0), ipAddresses);
        material.WriteClientDirectory(daemon.ClientCertificateDirectory);

        // Through the bind-mounted private directory, not the archive API: no round trip to the engine.
        material.WriteServerDirectory(daemon.ServerCertificateDirectory);
        await File.WriteAllTextAsync(Path.Combine(daemon.ServerCertificateDirectory, "ready"), "", cancellationToken).ConfigureAwait(false);

        log.Debug("TLS material for {Container}: server names {Names}, addresses {Addresses}", daemon.ContainerName, string.Join(", ", dnsNames), string.Join(", ", status.IpAddresses));
        return daemon with { TlsAddress = address };
    }

    private static IPAddress? TryParseAddress(string text) => IPAddress.TryParse(text, out var address) ? address : null;

    /// <summary>
    /// Waits for the daemon's socket and <c>/_ping</c>; stops at once, with the daemon's log, when the
    /// container exits. Returns a client for the ready daemon.
    /// </summary>
    public async Task<IDockerEngine> WaitUntilReadyAsync(DindDaemon daemon, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var inner = (connect ?? DockerEngine.Connect)(daemon.Endpoint);
        var outcome = await ReadinessWaiter.WaitAsync(
            [
                new ContainerKeepsRunning(host.Containers, daemon.ContainerId),
                new SocketFileExists(daemon.SocketEndpoint.UnixSocketPath!),
                new EngineAnswersPing(inner),
            ],
            timeout,
            cancellationToken,
            ReadinessWaiter.FastMaxDelay).ConfigureAwait(false);
        if (outcome.Ready)
        {
            log.Information("DinD daemon ready after {Milliseconds:0} ms at {Endpoint}", outcome.Elapsed.TotalMilliseconds, daemon.Endpoint);
            return inner;
        }

        inner.Dispose();
        var logs = await DaemonLogTailAsync(daemon.ContainerId, cancellationToken).ConfigureAwait(false);
        throw new DindBuildException(
            FailureKind.Infrastructure,
            $"The DinD daemon in {daemon.ContainerName} ({daemon.Image}, profile '{daemon.Profile.ToString().ToLowerInvariant()}') did not become ready: waiting for {outcome.FailedCondition?.Description}: {outcome.Detail}.",
            $"daemon log (docker logs --tail {LogTailLines} {daemon.ContainerName}):\n{logs}",
            "if the log shows a permission error, try '--privilege privileged' or run on a host that allows it; if the daemon was merely slow, raise '--daemon-timeout'.");
    }

    public async Task<string> DaemonLogTailAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            var text = await host.Containers.GetLogTailAsync(containerId, LogTailLines, cancellationToken).ConfigureAwait(false);
            return string.IsNullOrWhiteSpace(text) ? "(the daemon printed nothing)" : text.TrimEnd();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"(could not read the daemon's log: {ex.Message})";
        }
    }

    private async Task<DindDaemon> CreateAndStartAsync(DindDaemon daemon, DindOptions options, CancellationToken cancellationToken)
    {
        var sessionId = daemon.ContainerName["dindbuild-".Length..];
        var onCache = daemon.DataVolume == options.CacheVolume;
        var snapshot = onCache ? null : options.BuildSnapshot ?? options.SeedSnapshot;
        var output = onCache ? null : options.BuildSnapshotOutput;

        // A data root that lives on, in the cache volume or from build snapshot to build snapshot, gets BuildKit's GC.
        var daemonArguments = onCache ? BuilderGcConfig.Apply(daemon.SocketDirectory, options.CacheMaxBytes, options.DaemonArguments, log)
            : output is not null ? BuilderGcConfig.Apply(daemon.SocketDirectory, Math.Min(options.CacheMaxBytes, BuildSnapshotStore.MaxCacheBytes), options.DaemonArguments, log)
            : options.DaemonArguments;
        var spec = DindContainerSpecs.For(sessionId, daemon.Image, daemon.Profile, daemon.DataVolume, daemon.SocketDirectory, daemon.Network, options.Tls, options.SysboxRuntime, options.Owner, daemonArguments, options.InnerUserns, extraCa: !options.ExtraCa.IsEmpty, registryCas: options.RegistryCas.Count > 0, seedSnapshot: snapshot, snapshotOutput: output, keepEngineId: snapshot is not null && snapshot == options.BuildSnapshot);
        // Also the moment the soak and the signal tests aim at: a create in flight when a signal comes.
        log.Information("Creating DinD container {Name}", spec.Name);
        EntrypointScript.WriteTo(daemon.SocketDirectory);
        var id = await CreateAsync(spec, cancellationToken).ConfigureAwait(false);
        try
        {
            if (snapshot is not null && !await SeedSnapshotStore.IsCompleteAsync(host, id, snapshot, log, cancellationToken).ConfigureAwait(false))
            {
                // Left half-made by a killed run, or removed since it was chosen: this start goes without it — from the
                // seed snapshot when it was a build snapshot, else empty (SeedImages copies).
                await host.Containers.RemoveAsync(id, cancellationToken).ConfigureAwait(false);
                await SeedSnapshotStore.RemoveIncompleteAsync(host, snapshot, log, cancellationToken).ConfigureAwait(false);
                var without = options.BuildSnapshot is not null ? options with { BuildSnapshot = null } : options with { SeedSnapshot = null };
                return await CreateAndStartAsync(daemon, without, cancellationToken).ConfigureAwait(false);
            }

            await host.Containers.StartAsync(id, cancellationToken).ConfigureAwait(false);
            log.Information("Started DinD container {Name} ({Image}, profile '{Profile}', TLS {Tls}, inner user namespace {Userns})", spec.Name, daemon.Image, daemon.Profile.ToString().ToLowerInvariant(), options.Tls ? "on" : "off", options.InnerUserns ? "requested" : "off");
            return daemon with { ContainerId = id, InnerUserns = options.InnerUserns, BuildSnapshotVolume = output?.Volume, BuildSnapshotMarker = output?.Marker };
        }
        catch (DockerOperationException)
        {
            // The same name is reused by the fallback profile; this attempt must be gone first.
            await host.Containers.RemoveAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The kernel may grant capabilities an older engine has no name for (Docker 20.10 does not know
    /// PERFMON, BPF or CHECKPOINT_RESTORE); those are dropped one by one, as the engine names them.
    /// </summary>
    private async Task<string> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await ResourceCreation.RunAsync(ct => host.Containers.CreateAsync(spec, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (DockerOperationException ex) when (UnknownCapability().Match(ex.EngineMessage) is { Success: true } match
                && spec.CapabilitiesToAdd.Contains(match.Groups["name"].Value))
            {
                var name = match.Groups["name"].Value;
                log.Debug("The host engine does not know the capability {Capability}; leaving it out", name);
                spec = spec with { CapabilitiesToAdd = spec.CapabilitiesToAdd.Remove(name) };
            }
        }
    }

    [GeneratedRegex(@"unknown capability: ""?(?:CAP_)?(?<name>[A-Z_]+)""?")]
    private static partial Regex UnknownCapability();
}
