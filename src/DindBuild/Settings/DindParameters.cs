using System.Collections.Immutable;
using DindBuild.Diagnostics;

namespace DindBuild.Settings;

/// <summary>
/// The one list of parameters: reading, validation and help all come from it, so they cannot drift apart.
/// Precedence: defaults, then the environment (<c>DINDBUILD_*</c>), then the command line.
/// </summary>
public static class DindParameters
{
    public static ImmutableArray<DindParameter> All { get; } =
    [
        new("docker-mode", $"Which daemon to use: {ParameterValues.Names<DockerMode>()} (auto = external when DOCKER_HOST is set, else dind)",
            s => s.DockerMode.ToString().ToLowerInvariant(), (s, v) => s.WithDockerMode(ParameterValues.Enum<DockerMode>(v))),
        new("docker-socket", "The host engine's socket, used by the dood mode",
            s => s.DockerSocket, (s, v) => s.WithDockerSocket(AbsolutePath(v))),
        new("mount-docker-socket", "Mount the session daemon's socket into the test container at /var/run/docker.sock",
            s => s.MountDockerSocket ? "true" : "false", (s, v) => s.WithMountDockerSocket(ParameterValues.Boolean(v))) { IsSwitch = true },
        new("socket-policy", $"What the test container's Docker socket allows: {ParameterValues.Names<TestSocketPolicy>()} (strict: through a policy proxy that refuses privileged and host-reaching containers and labels what the tests create; permissive: the daemon's raw socket, root there)",
            s => s.SocketPolicy.ToString().ToLowerInvariant(), (s, v) => s.WithSocketPolicy(ParameterValues.Enum<TestSocketPolicy>(v))),
        new("dind-image", "Image the DinD daemon runs in; the default falls back to an image built from Debian packages when it cannot be pulled",
            s => s.DindImage, (s, v) => s.WithDindImage(NonEmpty(v))),
        new("context", "Build context directory (relative to the repository root)",
            s => Path.GetRelativePath(s.RepositoryRoot, s.ContextDirectory), (s, v) => s.WithContextDirectory(NonEmpty(v))),
        new("dockerfile", "Dockerfile, relative to the context directory",
            s => s.Dockerfile, (s, v) => s.WithDockerfile(NonEmpty(v))),
        new("image-tag", "Tag of the image built inside the daemon",
            s => s.ImageTag, (s, v) => s.WithImageTag(NonEmpty(v))),
        new("build-arg", "Build argument NAME=VALUE (repeatable)",
            _ => "(none)", (s, v) => ParameterValues.NameValue(v) is var (name, value) ? s.WithBuildArg(name, value) : s) { Repeatable = true },
        new("build-secret", "Secret for RUN --mount=type=secret,id=ID: id=ID,env=VAR or id=ID,src=FILE (repeatable; BuildKit only; never in the image, its history or the logs)",
            _ => "(none)", (s, v) => s.WithBuildSecret(BuildSecretSource.Parse(v, s.RepositoryRoot))) { Repeatable = true },
        new("seed-image", "Image copied from the host engine into the session daemon besides the Dockerfile's (repeatable): one the tests start containers from (docker run, Testcontainers)",
            s => s.SeedImages.IsEmpty ? "(none)" : string.Join(", ", s.SeedImages), (s, v) => s.WithSeedImage(ImageName(v))) { Repeatable = true },
        new("seed-archive", "docker save or OCI image archive (.tar, .tar.gz) loaded into the session daemon (repeatable), for runners without a registry or host engine",
            s => s.SeedArchives.IsEmpty ? "(none)" : $"{s.SeedArchives.Length} archives",
            (s, v) => s.WithSeedArchive(Images.SeedArchive.Load(s.ResolvePath(NonEmpty(v))))) { Repeatable = true },
        new("compose-file", "Docker Compose file (repeatable, relative to the repository root): RunTests brings the stack up in the session daemon (dind mode only) and the test service's exit code decides",
            s => s.Compose.Files.IsEmpty ? "(none: one test container)" : string.Join(", ", s.Compose.Files.Select(file => Path.GetRelativePath(s.RepositoryRoot, file))),
            (s, v) => s with { Compose = s.Compose.WithFile(s.ResolvePath(NonEmpty(v))) }) { Repeatable = true },
        new("compose-profile", "Compose profile to enable (repeatable; docker compose --profile)",
            s => s.Compose.Profiles.IsEmpty ? "(none)" : string.Join(", ", s.Compose.Profiles), (s, v) => s with { Compose = s.Compose.WithProfile(NonEmpty(v)) }) { Repeatable = true },
        new("compose-service", "The compose service whose exit code decides the run and whose artifacts path is exported",
            s => s.Compose.TestService, (s, v) => s with { Compose = s.Compose.WithTestService(NonEmpty(v)) }),
        new("builder", $"Which builder builds the image: {ParameterValues.Names<BuilderChoice>()} (auto = BuildKit where the daemon has it, else classic)",
            s => s.Builder.ToString().ToLowerInvariant(), (s, v) => s.WithBuilder(ParameterValues.Enum<BuilderChoice>(v))),
        new("target-stage", "Dockerfile stage to build (docker build --target)",
            s => s.TargetStage ?? "(last stage)", (s, v) => s.WithTargetStage(NonEmpty(v))),
        new("test-command", "Shell command the test container runs (sh -c); empty runs the image's CMD",
            s => s.TestCommand ?? "(image CMD)", (s, v) => s.WithTestCommand(string.IsNullOrWhiteSpace(v) ? null : v)),
        new("test-env", "Environment variable NAME=VALUE for the test container (repeatable)",
            _ => "(none)", (s, v) => s.WithTestEnvironment(ParameterValues.NameValue(v) is var (name, value) ? $"{name}={value}" : v)) { Repeatable = true },
        new("test-timeout", "Kill the test container after this long",
            s => ParameterValues.Duration(s.TestTimeout), (s, v) => s.WithTestTimeout(ParameterValues.Duration(v))),
        new("test-report", "Whether the tests must leave a JUnit or TRX report in the artifacts path: required (a run without one fails) or optional",
            s => s.TestReportRequired ? "required" : "optional",
            (s, v) => s.WithTestReportRequired(v.Trim().ToLowerInvariant() switch { "required" => true, "optional" => false, _ => throw new FormatException($"'{v}' is not one of required|optional") })),
        new("artifacts-path", "Artifacts directory inside the test container (a volume is mounted there)",
            s => s.ContainerArtifactsPath, (s, v) => s.WithContainerArtifactsPath(AbsolutePath(v))),
        new("artifacts-dir", "Host directory the artifacts are copied to (relative to the repository root)",
            s => Path.GetRelativePath(s.RepositoryRoot, s.HostArtifactsDirectory), (s, v) => s.WithHostArtifactsDirectory(NonEmpty(v))),
        new("artifacts-max-size", "Stop exporting artifacts past this size: file content, plus 4 KiB and the name and link target for every entry",
            s => ParameterValues.Size(s.ArtifactsMaxBytes), (s, v) => s.WithArtifactsMaxBytes(ParameterValues.Size(v))),
        new("artifacts-max-entries", "Stop exporting artifacts past this many entries (files, directories and links)",
            s => s.ArtifactsMaxEntries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (s, v) => int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var entries) && entries >= 1
                ? s.WithArtifactsMaxEntries(entries)
                : throw new FormatException($"'{v}' is not a number of entries from 1 to {int.MaxValue}")),
        new("daemon-timeout", "How long the DinD daemon may take to answer /_ping",
            s => ParameterValues.Duration(s.DaemonStartTimeout), (s, v) => s.WithDaemonStartTimeout(ParameterValues.Duration(v))),
        new("privilege", $"DinD container privileges: {ParameterValues.Names<PrivilegeProfile>()}",
            s => s.PrivilegeProfile.ToString().ToLowerInvariant(), (s, v) => s.WithPrivilegeProfile(ParameterValues.Enum<PrivilegeProfile>(v))),
        new("inner-userns", $"Run the DinD daemon's containers in a user namespace (dockerd --userns-remap=default; dind mode): {ParameterValues.Names<InnerUserns>()} (auto = on where a probe container at StartDaemon shows the host allows it, else off with a warning; off with --socket-policy permissive)",
            s => s.InnerUserns.ToString().ToLowerInvariant(), (s, v) => s.WithInnerUserns(ParameterValues.Enum<InnerUserns>(v))),
        new("runtime", "OCI runtime for '--privilege sysbox'",
            s => s.SysboxRuntime, (s, v) => s.WithSysboxRuntime(NonEmpty(v))),
        new("daemon-arg", "Extra dockerd flag for the DinD daemon, e.g. --mtu=1400 (repeatable)",
            _ => "(none)", (s, v) => s.WithDaemonArgument(NonEmpty(v))) { Repeatable = true },
        new("tls", "Give the DinD daemon a mutual-TLS endpoint on 127.0.0.1 with per-session certificates; false: its private socket only",
            s => s.Tls ? "true" : "false", (s, v) => s.WithTls(ParameterValues.Boolean(v))) { IsSwitch = true },
        new("tls-san", "Extra DNS name or IP address for the DinD daemon's certificate (repeatable)",
            _ => "(none)", (s, v) => s.WithTlsExtraName(NonEmpty(v))) { Repeatable = true },
        new("docker-auth-config", "Registry credentials for the session daemon's pulls and PublishImage's pushes: config.json text, or the path of a config.json file such as 'docker login' writes (default: DOCKER_AUTH_CONFIG); masked in all output",
            s => s.RegistryCredentials.IsEmpty ? "(DOCKER_AUTH_CONFIG, if set)" : $"{s.RegistryCredentials.Length} registries",
            (s, v) => s.WithRegistryCredentials(RegistryCredential.ParseAuthConfigOrFile(NonEmpty(v), s.ResolvePath))),
        new("extra-ca-cert", "PEM file of a CA certificate to trust (repeatable), e.g. a TLS-inspecting proxy's: the DinD daemon's pulls and the test container trust it",
            s => s.ExtraCaCertificates.IsEmpty ? "(none)" : $"{s.ExtraCaCertificates.Count} certificates",
            (s, v) => s.WithExtraCaCertificates(Trust.CaCertificateFile.Load(s.ResolvePath(NonEmpty(v)), DateTimeOffset.UtcNow))) { Repeatable = true },
        new("trust-host-ca", "Trust the host's own CA bundle (SSL_CERT_FILE, else the distribution's bundle file, as Go finds it) like --extra-ca-cert",
            s => s.TrustHostCa ? "true" : "false", (s, v) => ParameterValues.Boolean(v) ? s.WithTrustHostCa(Trust.HostCaBundle.Load()) : s) { IsSwitch = true },
        new("registry-ca", "HOST=FILE: a PEM CA certificate the DinD daemon trusts for that registry only (/etc/docker/certs.d/HOST/ca.crt; repeatable), for pulls, pushes and mirrors; dind mode",
            s => s.RegistryCas.IsEmpty ? "(none)" : string.Join(", ", s.RegistryCas.Select(registry => registry.Host)),
            (s, v) => s.WithRegistryCa(Trust.RegistryCa.Parse(NonEmpty(v), s.ResolvePath, DateTimeOffset.UtcNow))) { Repeatable = true },
        new("registry-mirror", "Pull-through mirror the DinD daemon asks first for Docker Hub images (dockerd --registry-mirror; repeatable): spares Docker Hub's rate limit and a slow uplink",
            s => s.RegistryMirrors.IsEmpty ? "(none)" : string.Join(", ", s.RegistryMirrors), (s, v) => s.WithRegistryMirror(MirrorUrl(v))) { Repeatable = true },
        new("insecure-registry", "HOST[:PORT] the DinD daemon may reach over plain HTTP or unverified TLS (dockerd --insecure-registry; repeatable); a private CA is better served by --extra-ca-cert",
            s => s.InsecureRegistries.IsEmpty ? "(none)" : string.Join(", ", s.InsecureRegistries), (s, v) => s.WithInsecureRegistry(RegistryHost(v))) { Repeatable = true },
        new("publish", "After the tests passed, PublishImage pushes the image as this reference, registry/repo:tag (repeatable), with --docker-auth-config's credentials for that registry",
            s => s.PublishReferences.IsEmpty ? "(none)" : string.Join(", ", s.PublishReferences), (s, v) => s.WithPublishReference(PublishReference(v))) { Repeatable = true },
        new("load-into-host", "After the tests passed, PublishImage copies the image into the host engine (docker save | docker load; dood: already there)",
            s => s.LoadIntoHost ? "true" : "false", (s, v) => s.WithLoadIntoHost(ParameterValues.Boolean(v))) { IsSwitch = true },
        new("save-image", "After the tests passed, PublishImage writes the image as a docker save archive to this path (relative to the artifacts directory)",
            s => s.SaveImagePath ?? "(none)", (s, v) => s.WithSaveImagePath(NonEmpty(v))),
        new("keep-daemon", "Leave the DinD daemon running after the run",
            s => s.KeepDaemon ? "true" : "false", (s, v) => s.WithKeepDaemon(ParameterValues.Boolean(v))) { IsSwitch = true },
        new("data-root", "Where the DinD daemon keeps /var/lib/docker without a cache volume: tmpfs (in memory: faster, costs RAM; the default with 8 GiB available) or volume",
            s => s.DataRootInMemory ? "tmpfs" : "volume",
            (s, v) => s.WithDataRootInMemory(v.Trim().ToLowerInvariant() switch { "tmpfs" => true, "volume" => false, _ => throw new FormatException($"'{v}' is not one of volume|tmpfs") })),
        new("seed-snapshots", $"Seed the DinD daemon from a seed snapshot of the run's images, made on the first run with them: {ParameterValues.Names<SeedSnapshotChoice>()} (off: stream them with docker save | docker load every run; dind mode)",
            s => s.SeedSnapshots.ToString().ToLowerInvariant(), (s, v) => s.WithSeedSnapshots(ParameterValues.Enum<SeedSnapshotChoice>(v))),
        new("build-snapshots", $"After a build that took {Images.Snapshots.BuildSnapshotStore.WorthSaving.TotalSeconds:0} s or more, keep the daemon's data root (base images, build cache, the image) for this repository's next run to start from: {ParameterValues.Names<BuildSnapshotChoice>()} (dind mode, with seed snapshots on)",
            s => s.BuildSnapshots.ToString().ToLowerInvariant(), (s, v) => s.WithBuildSnapshots(ParameterValues.Enum<BuildSnapshotChoice>(v))),
        new("cache-volume", "Named volume kept across runs as the DinD daemon's data root (layer and image cache); one daemon at a time",
            s => s.CacheVolume ?? "(none: an ephemeral data root)", (s, v) => s.WithCacheVolume(VolumeName(v))),
        new("cache-wait", "How long to wait for another daemon to release the cache volume",
            s => ParameterValues.Duration(s.CacheWait), (s, v) => s.WithCacheWait(ParameterValues.Duration(v))),
        new("cache-busy", "When the cache volume stays busy: ephemeral (run without the cache) or fail",
            s => s.CacheBusyFallsBack ? "ephemeral" : "fail",
            (s, v) => s.WithCacheBusyFallsBack(v.Trim().ToLowerInvariant() switch { "ephemeral" => true, "fail" => false, _ => throw new FormatException($"'{v}' is not one of ephemeral|fail") })),
        new("cache-max-size", "BuildKit's build cache in the cache volume (layers, cache mounts) is garbage-collected down to about this size; cache mounts unused for 48 h go first",
            s => ParameterValues.Size(s.CacheMaxBytes), (s, v) => s.WithCacheMaxBytes(ParameterValues.Size(v))),
        new("reap-older-than", "Reap: also remove sessions older than this whose owner cannot be checked (kept sessions, other hosts), and seed snapshots made longer ago that no run is using",
            s => s.ReapOlderThan is { } age ? ParameterValues.Duration(age) : "(only dead owners)", (s, v) => s.WithReapOlderThan(ParameterValues.Duration(v))),
        new("prune-seed-snapshots", "Reap: also remove every seed snapshot no run is using, whatever its age (without it: the unused ones older than --reap-older-than, and half-made ones)",
            s => s.PruneSeedSnapshots ? "true" : "false", (s, v) => s.WithPruneSeedSnapshots(ParameterValues.Boolean(v))) { IsSwitch = true },
        new("benchmark-rounds", "Benchmark: rounds of each measure (medians over these)",
            s => s.BenchmarkRounds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (s, v) => int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var rounds) && rounds is >= 1 and <= 50 ? s.WithBenchmarkRounds(rounds) : throw new FormatException($"'{v}' is not a number of rounds from 1 to 50")),
        new("session-id", "Names this run's resources (org.dindbuild.session=<id>) and selects a saved session; random by default",
            _ => "(random)", (s, v) => s.WithSessionId(SessionId(v))),
    ];

    /// <summary>
    /// Reads every parameter. <paramref name="commandLine"/> returns the values given for a name
    /// (empty when absent; an empty string for a bare switch). All problems are reported together.
    /// </summary>
    public static DindSettings Read(string repositoryRoot, Func<string, IReadOnlyList<string>> commandLine, Func<string, string?> environment)
    {
        var settings = new DindSettings(repositoryRoot);
        var problems = new List<string>();
        var fromFile = ParametersFile.Load(repositoryRoot);
        foreach (var parameter in All)
        {
            var given = commandLine(parameter.Name);
            IReadOnlyList<string> values = given.Count > 0
                ? given
                : environment(parameter.EnvironmentVariable) is { } fromEnvironment
                    ? parameter.Repeatable ? fromEnvironment.Split(';', StringSplitOptions.RemoveEmptyEntries) : [fromEnvironment]
                    : fromFile.GetValueOrDefault(parameter.Name) ?? [];
            if (!parameter.Repeatable && values.Count > 1)
            {
                problems.Add($"--{parameter.Name} was given {values.Count} times; give it once");
                continue;
            }

            foreach (var value in values)
            {
                try
                {
                    settings = parameter.Apply(settings, value);
                }
                catch (FormatException ex)
                {
                    var source = given.Count > 0 ? $"--{parameter.Name}" : environment(parameter.EnvironmentVariable) is not null ? parameter.EnvironmentVariable : $"{ParametersFile.FileName} \"{parameter.Name}\"";
                    problems.Add($"{source}: {ex.Message}");
                }
            }
        }

        // The CI convention (GitLab, Testcontainers) when the parameter is not given.
        if (settings.RegistryCredentials.IsEmpty && commandLine("docker-auth-config").Count == 0 && environment("DOCKER_AUTH_CONFIG") is { Length: > 0 } authConfig)
        {
            try
            {
                settings = settings.WithRegistryCredentials(RegistryCredential.ParseAuthConfig(authConfig));
            }
            catch (FormatException ex)
            {
                problems.Add($"DOCKER_AUTH_CONFIG: {ex.Message}");
            }
        }

        if (problems.Count > 0)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                problems.Count == 1 ? "A parameter is invalid." : $"{problems.Count} parameters are invalid.",
                string.Join('\n', problems),
                "correct the values above; './build.sh --help' lists every parameter with its default.");
        }

        return settings;
    }

    /// <summary>Every parameter with its default, environment variable and parameters-file key, for --help.</summary>
    public static string Help(string repositoryRoot)
    {
        var defaults = new DindSettings(repositoryRoot);
        var text = new System.Text.StringBuilder();
        text.AppendLine("Parameters (command line --name value; environment DINDBUILD_NAME; key \"name\" in " + ParametersFile.FileName + "):");
        foreach (var parameter in All)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  --{parameter.Name}{(parameter.Repeatable ? " (repeatable)" : "")}");
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"      {parameter.Description}");
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"      default: {parameter.DefaultText(defaults)}; environment: {parameter.EnvironmentVariable}; file key: \"{parameter.Name}\"");
        }

        return text.ToString();
    }

    private static string NonEmpty(string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new FormatException("a value is required") : value.Trim();

    // What docker accepts as a reference: no spaces, no leading '-' (a flag), a lowercase repository.
    private static string ImageName(string value)
    {
        var name = NonEmpty(value);
        var repository = Docker.ImageReference.Parse(name).Repository;
        var path = repository.Contains('/', StringComparison.Ordinal) ? repository[(repository.IndexOf('/', StringComparison.Ordinal) + 1)..] : repository;
        return name.Any(char.IsWhiteSpace) || name.StartsWith('-') || path.Any(char.IsAsciiLetterUpper)
            ? throw new FormatException($"'{value}' is not an image name (docker's form: [REGISTRY/]REPOSITORY[:TAG], the repository in lowercase)")
            : name;
    }

    // What docker tag accepts (lowercase path components, an optional registry host:port, a tag); a digest cannot be pushed to.
    private static string PublishReference(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value.Trim(), @"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$")
            ? value.Trim()
            : throw new FormatException($"'{value}' is not an image reference to push to, such as registry.example.com:5000/team/app:1.2 (lowercase repository, no digest)");

    private static string MirrorUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.PathAndQuery is "/" or ""
            ? value.Trim()
            : throw new FormatException($"'{value}' is not a registry mirror URL such as https://mirror.example.com:5000 (http or https, no path)");

    private static string RegistryHost(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value.Trim(), @"^[a-zA-Z0-9.-]+(:[0-9]{1,5})?$|^[0-9.]+/[0-9]{1,2}$")
            ? value.Trim()
            : throw new FormatException($"'{value}' is not HOST[:PORT] (or a CIDR such as 10.0.0.0/8), e.g. registry.internal:5000");

    private static string AbsolutePath(string value) =>
        value.StartsWith('/') && value.Length > 1 ? value.TrimEnd('/') : throw new FormatException($"'{value}' must be an absolute path, such as /artifacts");

    private static string VolumeName(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value, "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
            ? value
            : throw new FormatException($"'{value}' is not a volume name (letters, digits, '_', '.', '-')");

    private static string SessionId(string value) =>
        value.Length is >= 4 and <= 32 && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
            ? value
            : throw new FormatException($"'{value}' must be 4 to 32 lowercase letters or digits (it names containers and volumes)");
}
