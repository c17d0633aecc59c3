// Just over 300 lines on purpose: one record with every parameter a run is told, each beside its WithX copy.
using System.Collections.Immutable;

namespace DindBuild.Settings;

/// <summary>
/// Everything a run is told. Immutable: each <c>WithX</c> returns a changed copy, so defaults,
/// the parameters file, the environment and the command line can be layered without surprises.
/// </summary>
public sealed record DindSettings
{
    /// <summary>The official image the DinD daemon runs in, pinned so that runs are repeatable.</summary>
    public const string DefaultDindImage = "docker:28.5.1-dind";

    public const string DefaultContainerArtifactsPath = "/artifacts";

    public DindSettings(string repositoryRoot)
    {
        RepositoryRoot = Path.GetFullPath(repositoryRoot);
        ContextDirectory = Path.Combine(RepositoryRoot, "samples", "calculator");
        HostArtifactsDirectory = Path.Combine(RepositoryRoot, "artifacts");
    }

    /// <summary>Relative paths given by the user are resolved against this folder.</summary>
    public string RepositoryRoot { get; }

    /// <summary>Names every resource of this run: <c>org.dindbuild.session=&lt;id&gt;</c>.</summary>
    public string SessionId { get; init; } = NewSessionId();

    public DockerMode DockerMode { get; init; } = DockerMode.Auto;

    public string DindImage { get; init; } = DefaultDindImage;

    public string ContextDirectory { get; init; }

    /// <summary>The Dockerfile, relative to the context directory.</summary>
    public string Dockerfile { get; init; } = "Dockerfile";

    public string ImageTag { get; init; } = "dindbuild-sample:latest";

    public ImmutableDictionary<string, string> BuildArgs { get; init; } = ImmutableDictionary<string, string>.Empty;

    public string? TargetStage { get; init; }

    /// <summary>Images copied into the session daemon besides the Dockerfile's (<c>--seed-image</c>): those the tests start containers from.</summary>
    public ImmutableArray<string> SeedImages { get; init; } = [];

    /// <summary><c>docker save</c> / OCI archives loaded into the session daemon before seeding (<c>--seed-archive</c>), checked when read.</summary>
    public ImmutableArray<Images.SeedArchive> SeedArchives { get; init; } = [];

    /// <summary>The tests as a Docker Compose stack (<c>--compose-file</c>…); none: the single test container.</summary>
    public global::DindBuild.Compose.ComposeOptions Compose { get; init; } = new();

    /// <summary>A shell command run with <c>sh -c</c> in the test container; null runs the image's own CMD.</summary>
    public string? TestCommand { get; init; }

    /// <summary><c>NAME=VALUE</c> pairs given to the test container.</summary>
    public ImmutableArray<string> TestEnvironment { get; init; } = [];

    public TimeSpan TestTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// A run whose artifacts hold no JUnit or TRX report fails: a test command that ran nothing (the wrong
    /// stage, a typo in a filter) exits 0 too, and a run that reports no tests is not green. False allows it.
    /// </summary>
    public bool TestReportRequired { get; init; } = true;

    public string ContainerArtifactsPath { get; init; } = DefaultContainerArtifactsPath;

    public string HostArtifactsDirectory { get; init; }

    /// <summary>
    /// Export stops with an error past this many bytes, so a container cannot fill the host disk: file content,
    /// and every entry at 4 KiB plus its name and link target (an empty directory takes a disk block too).
    /// </summary>
    public long ArtifactsMaxBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Export stops with an error past this many archive entries (files, directories, links, refused ones included).</summary>
    public int ArtifactsMaxEntries { get; init; } = DefaultArtifactsMaxEntries;

    public const int DefaultArtifactsMaxEntries = 100_000;

    public TimeSpan DaemonStartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public PrivilegeProfile PrivilegeProfile { get; init; } = PrivilegeProfile.Auto;

    /// <summary>Whether the DinD daemon runs its containers in a user namespace (dind mode only).</summary>
    public InnerUserns InnerUserns { get; init; } = InnerUserns.Auto;

    /// <summary>
    /// The DinD daemon's /var/lib/docker in memory (tmpfs) instead of an ephemeral volume: seeding
    /// twice as fast, teardown instant, at the cost of RAM. Default: in memory where at least
    /// <see cref="InMemoryDataRootMinimumAvailable"/> is available.
    /// </summary>
    public bool DataRootInMemory { get; init; } = HostMemory.AvailableBytes() >= InMemoryDataRootMinimumAvailable;

    public const long InMemoryDataRootMinimumAvailable = 8L << 30;

    /// <summary>A named volume kept across runs as the DinD daemon's data root, so unchanged rebuilds hit the layer cache.</summary>
    public string? CacheVolume { get; init; }

    public TimeSpan CacheWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>When the cache volume stays busy: run on an ephemeral data root (true) or fail (false).</summary>
    public bool CacheBusyFallsBack { get; init; } = true;

    /// <summary>
    /// With a cache volume: BuildKit's build cache in it (layers, cache mounts, contexts) is garbage-collected down to
    /// about this many bytes (dockerd's <c>builder.gc.defaultKeepStorage</c>; Docker 26 collects nothing unless told).
    /// Docker Desktop's default, 20 GiB.
    /// </summary>
    public long CacheMaxBytes { get; init; } = 20L << 30;

    /// <summary>Reap also sessions older than this whose owner cannot be checked (kept sessions, other hosts).</summary>
    public TimeSpan? ReapOlderThan { get; init; }

    /// <summary>Reap also removes every seed snapshot no run is using, whatever its age.</summary>
    public bool PruneSeedSnapshots { get; init; }

    /// <summary>Whether a <c>dind</c> run seeds from a seed snapshot (<see cref="SeedSnapshotChoice.On"/>) or streams its images.</summary>
    public SeedSnapshotChoice SeedSnapshots { get; init; } = SeedSnapshotChoice.On;

    /// <summary><c>--build-snapshots</c>: a long build's data root kept for the next run of this repository (dind).</summary>
    public BuildSnapshotChoice BuildSnapshots { get; init; } = BuildSnapshotChoice.On;

    /// <summary>Rounds of each measure in the Benchmark target.</summary>
    public int BenchmarkRounds { get; init; } = 4;

    /// <summary>The OCI runtime of the <c>sysbox</c> profile.</summary>
    public string SysboxRuntime { get; init; } = "sysbox-runc";

    /// <summary>Leave the DinD daemon running after the run (for debugging or step-by-step use).</summary>
    public bool KeepDaemon { get; init; }

    /// <summary>True when the session id was given rather than made up: later steps then load exactly that session.</summary>
    public bool SessionIdGiven { get; init; }

    /// <summary>Extra dockerd flags for the DinD daemon, e.g. <c>--mtu=1400</c> or <c>--registry-mirror=…</c>.</summary>
    public ImmutableArray<string> DaemonArguments { get; init; } = [];

    /// <summary>Give the DinD daemon a mutual-TLS endpoint on 127.0.0.1 (the build's client uses it); off: the private socket only.</summary>
    public bool Tls { get; init; } = true;

    /// <summary>Extra DNS names or IP addresses for the DinD daemon's server certificate.</summary>
    public ImmutableArray<string> TlsExtraNames { get; init; } = [];

    /// <summary>Credentials the session daemon uses to pull base images (from DOCKER_AUTH_CONFIG or the parameter).</summary>
    public ImmutableArray<RegistryCredential> RegistryCredentials { get; init; } = [];

    /// <summary>Secrets for <c>RUN --mount=type=secret,id=ID</c> (BuildKit), by where their values come from.</summary>
    public ImmutableArray<BuildSecretSource> BuildSecrets { get; init; } = [];

    /// <summary>Values masked in every log line and error: registry credentials, build secrets, and test environment values whose names look secret.</summary>
    public IEnumerable<string> Secrets =>
        RegistryCredentials.SelectMany(credential => credential.SecretValues())
            .Concat(BuildSecrets.SelectMany(secret => secret.MaskedValues(Environment.GetEnvironmentVariable)))
            .Concat(TestEnvironment
                .Select(pair => pair.Split('=', 2))
                .Where(pair => pair.Length == 2 && Diagnostics.SecretMasker.LooksSecret(pair[0]))
                .Select(pair => pair[1]));

    /// <summary>
    /// CA certificates to trust besides the system's (<c>--extra-ca-cert</c>, <c>--trust-host-ca</c>): the DinD daemon's
    /// pulls and the test container trust them, e.g. a TLS-inspecting proxy's CA. Validated when read.
    /// </summary>
    public Trust.CaBundle ExtraCaCertificates { get; init; } = Trust.CaBundle.Empty;

    /// <summary>Whether the host's own CA bundle is part of <see cref="ExtraCaCertificates"/>.</summary>
    public bool TrustHostCa { get; init; }

    /// <summary>CAs the DinD daemon trusts for one registry each (<c>--registry-ca HOST=FILE</c>, its certs.d); validated when read.</summary>
    public ImmutableArray<Trust.RegistryCa> RegistryCas { get; init; } = [];

    /// <summary>Where PublishImage pushes the tested image (<c>--publish</c>, <c>registry/repo:tag</c>).</summary>
    public ImmutableArray<string> PublishReferences { get; init; } = [];

    /// <summary>PublishImage copies the tested image into the host engine (<c>--load-into-host</c>).</summary>
    public bool LoadIntoHost { get; init; }

    /// <summary>PublishImage writes the tested image as a <c>docker save</c> archive here (<c>--save-image</c>).</summary>
    public string? SaveImagePath { get; init; }

    /// <summary>Pull-through mirrors for Docker Hub images in the DinD daemon (<c>--registry-mirror</c>: dockerd's own flag).</summary>
    public ImmutableArray<string> RegistryMirrors { get; init; } = [];

    /// <summary>Registries the DinD daemon reaches over plain HTTP or unverified TLS (<c>--insecure-registry</c>).</summary>
    public ImmutableArray<string> InsecureRegistries { get; init; } = [];

    /// <summary>The dockerd flags these registry settings mean, before <see cref="DaemonArguments"/> (which can still override).</summary>
    public IEnumerable<string> RegistryDaemonArguments() =>
        RegistryMirrors.Select(mirror => $"--registry-mirror={mirror}").Concat(InsecureRegistries.Select(registry => $"--insecure-registry={registry}"));

    /// <summary>Whether PublishImage has anything to do: DindTest runs it only then.</summary>
    public bool PublishRequested => !PublishReferences.IsEmpty || LoadIntoHost || SaveImagePath is not null;

    /// <summary>The host engine's socket, for the <c>dood</c> mode.</summary>
    public string DockerSocket { get; init; } = Docker.DockerEndpoint.DefaultUnixSocketPath;

    /// <summary>Mount the session daemon's socket into the test container, so tests that use Docker work.</summary>
    public bool MountDockerSocket { get; init; } = true;

    /// <summary>
    /// Strict: the test container's socket goes through the socket policy proxy (no privileged or
    /// host-reaching containers; whatever the tests create is labelled with the session). Permissive:
    /// the session daemon's raw socket, as before — whatever the tests run is root there.
    /// </summary>
    public TestSocketPolicy SocketPolicy { get; init; } = TestSocketPolicy.Strict;

    /// <summary>Which builder builds the image: BuildKit where the daemon has it (auto), or the one named.</summary>
    public BuilderChoice Builder { get; init; } = BuilderChoice.Auto;

    public string DockerfilePath => Path.Combine(ContextDirectory, Dockerfile);

    public DindSettings WithDockerMode(DockerMode mode) => this with { DockerMode = mode };

    public DindSettings WithDindImage(string image) => this with { DindImage = image };

    public DindSettings WithContextDirectory(string directory) => this with { ContextDirectory = Resolve(directory) };

    public DindSettings WithDockerfile(string dockerfile) => this with { Dockerfile = dockerfile };

    public DindSettings WithImageTag(string tag) => this with { ImageTag = tag };

    public DindSettings WithBuildArg(string name, string value) => this with { BuildArgs = BuildArgs.SetItem(name, value) };

    /// <exception cref="FormatException">The id is already taken by another --build-secret.</exception>
    public DindSettings WithBuildSecret(BuildSecretSource secret) =>
        BuildSecrets.Any(existing => existing.Id == secret.Id)
            ? throw new FormatException($"the secret id '{secret.Id}' is given twice; each --build-secret needs its own id")
            : this with { BuildSecrets = BuildSecrets.Add(secret) };

    public DindSettings WithTargetStage(string? stage) => this with { TargetStage = stage };

    public DindSettings WithSeedImage(string image) => SeedImages.Contains(image) ? this : this with { SeedImages = SeedImages.Add(image) };

    public DindSettings WithSeedArchive(Images.SeedArchive archive) => this with { SeedArchives = SeedArchives.Add(archive) };

    public DindSettings WithBuilder(BuilderChoice builder) => this with { Builder = builder };

    public DindSettings WithTestCommand(string? command) => this with { TestCommand = command };

    public DindSettings WithTestEnvironment(string nameEqualsValue) => this with { TestEnvironment = TestEnvironment.Add(nameEqualsValue) };

    public DindSettings WithTestTimeout(TimeSpan timeout) => this with { TestTimeout = timeout };

    public DindSettings WithTestReportRequired(bool required) => this with { TestReportRequired = required };

    public DindSettings WithContainerArtifactsPath(string path) => this with { ContainerArtifactsPath = path };

    public DindSettings WithHostArtifactsDirectory(string directory) => this with { HostArtifactsDirectory = Resolve(directory) };

    public DindSettings WithArtifactsMaxBytes(long bytes) => this with { ArtifactsMaxBytes = bytes };

    public DindSettings WithArtifactsMaxEntries(int entries) => this with { ArtifactsMaxEntries = entries };

    public DindSettings WithDaemonStartTimeout(TimeSpan timeout) => this with { DaemonStartTimeout = timeout };

    public DindSettings WithPrivilegeProfile(PrivilegeProfile profile) => this with { PrivilegeProfile = profile };

    public DindSettings WithInnerUserns(InnerUserns userns) => this with { InnerUserns = userns };

    public DindSettings WithDataRootInMemory(bool inMemory) => this with { DataRootInMemory = inMemory };

    public DindSettings WithCacheVolume(string name) => this with { CacheVolume = name };

    public DindSettings WithCacheWait(TimeSpan wait) => this with { CacheWait = wait };

    public DindSettings WithCacheBusyFallsBack(bool fallBack) => this with { CacheBusyFallsBack = fallBack };

    public DindSettings WithCacheMaxBytes(long bytes) => this with { CacheMaxBytes = bytes };

    public DindSettings WithReapOlderThan(TimeSpan age) => this with { ReapOlderThan = age };

    public DindSettings WithPruneSeedSnapshots(bool prune) => this with { PruneSeedSnapshots = prune };

    public DindSettings WithSeedSnapshots(SeedSnapshotChoice choice) => this with { SeedSnapshots = choice };

    public DindSettings WithBuildSnapshots(BuildSnapshotChoice choice) => this with { BuildSnapshots = choice };

    public DindSettings WithBenchmarkRounds(int rounds) => this with { BenchmarkRounds = rounds };

    public DindSettings WithSysboxRuntime(string runtime) => this with { SysboxRuntime = runtime };

    public DindSettings WithKeepDaemon(bool keep) => this with { KeepDaemon = keep };

    public DindSettings WithSessionId(string id) => this with { SessionId = id, SessionIdGiven = true };

    public DindSettings WithDaemonArgument(string argument) => this with { DaemonArguments = DaemonArguments.Add(argument) };

    public DindSettings WithTls(bool enabled) => this with { Tls = enabled };

    public DindSettings WithTlsExtraName(string name) => this with { TlsExtraNames = TlsExtraNames.Add(name) };

    public DindSettings WithRegistryCredentials(IEnumerable<RegistryCredential> credentials) => this with { RegistryCredentials = [.. credentials] };

    public DindSettings WithDockerSocket(string path) => this with { DockerSocket = path };

    public DindSettings WithMountDockerSocket(bool mount) => this with { MountDockerSocket = mount };

    public DindSettings WithSocketPolicy(TestSocketPolicy policy) => this with { SocketPolicy = policy };

    public DindSettings WithExtraCaCertificates(Trust.CaBundle certificates) => this with { ExtraCaCertificates = ExtraCaCertificates.Add(certificates) };

    public DindSettings WithTrustHostCa(Trust.CaBundle hostBundle) => this with { TrustHostCa = true, ExtraCaCertificates = ExtraCaCertificates.Add(hostBundle) };

    public DindSettings WithPublishReference(string reference) => this with { PublishReferences = PublishReferences.Add(reference) };

    /// <summary>A second CA for a host already named goes into the same ca.crt.</summary>
    public DindSettings WithRegistryCa(Trust.RegistryCa registryCa) =>
        RegistryCas.FirstOrDefault(existing => existing.Host == registryCa.Host) is { } existing
            ? this with { RegistryCas = RegistryCas.Replace(existing, existing with { Certificates = existing.Certificates.Add(registryCa.Certificates) }) }
            : this with { RegistryCas = RegistryCas.Add(registryCa) };

    public DindSettings WithRegistryMirror(string url) => this with { RegistryMirrors = RegistryMirrors.Add(url) };

    public DindSettings WithInsecureRegistry(string host) => this with { InsecureRegistries = InsecureRegistries.Add(host) };

    public DindSettings WithLoadIntoHost(bool load) => this with { LoadIntoHost = load };

    /// <summary>A relative path is under the artifacts directory, where CI collects files from.</summary>
    public DindSettings WithSaveImagePath(string path) => this with { SaveImagePath = Path.GetFullPath(Path.Combine(HostArtifactsDirectory, path)) };

    /// <summary>A path the user gave, relative to the repository root unless absolute.</summary>
    internal string ResolvePath(string path) => Resolve(path);

    private string Resolve(string path) => Path.GetFullPath(Path.Combine(RepositoryRoot, path));

    private static string NewSessionId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
}
