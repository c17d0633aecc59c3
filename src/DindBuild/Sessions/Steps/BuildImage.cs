using DindBuild.ImageBuild;
using DindBuild.Docker;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// BuildImage: <c>docker build</c> of the context inside the session daemon (BuildKit where it has it), labelled with
    /// the session. The host artifacts directory and DindBuild's state are never sent in the context, whatever
    /// <c>.dockerignore</c> says.
    /// </summary>
    public Task BuildImageAsync(CancellationToken cancellationToken) => StepAsync("BuildImage", async () =>
    {
        RequireOpen("BuildImage");
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        var (builder, reason) = BuilderSelection.Resolve(Options.Builder, await daemon.System.GetVersionAsync(cancellationToken).ConfigureAwait(false));
        _log.Information("Builder: {Builder} ({Reason})", BuilderSelection.Name(builder), reason);
        var secrets = BuildSecrets(builder, reason);
        _steps.Facts = _steps.Facts with { Builder = BuilderSelection.Name(builder) };
        var spec = new ImageBuildSpec(Options.ImageTag, Options.Dockerfile)
        {
            BuildArgs = Options.BuildArgs,
            TargetStage = Options.TargetStage,
            Labels = SessionLabels.For(Id, "image"),
            RegistryCredentials = Options.RegistryCredentials,
            Builder = builder,
            Secrets = secrets,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            ImageSummary built = await new ImageBuilder(daemon, _log, displayRoot: Options.RepositoryRoot).BuildAsync(Options.ContextDirectory, spec, cancellationToken, [Options.HostArtifactsDirectory]).ConfigureAwait(false);
            _state = _state with { BuiltImageId = built.Id, BuiltImageTag = Options.ImageTag, BuiltImageSize = built.Size };
            await BuildComposeServicesAsync(daemon, spec, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A failed build's cache (a restore that ran before a compile error) is worth as much to the next run.
            Images.Snapshots.BuildDurations.Add(Id, clock.Elapsed);
        }
    });

    /// <summary>
    /// The secrets' values, read now (so a file changed since the run began is read as it is); only BuildKit takes them.
    /// With <c>--extra-ca-cert</c>/<c>--trust-host-ca</c> the CA bundle is one more, <see cref="Trust.CaBundle.BuildSecretId"/>
    /// (public certificates, so not masked), for steps behind a TLS-inspecting proxy.
    /// </summary>
    private System.Collections.Immutable.ImmutableArray<BuildSecret> BuildSecrets(BuilderKind builder, string reason)
    {
        var ca = Options.ExtraCaCertificates;
        if (Options.BuildSecrets.IsEmpty && ca.IsEmpty)
        {
            return [];
        }

        if (builder != BuilderKind.BuildKit)
        {
            if (Options.BuildSecrets.IsEmpty)
            {
                _log.Warning("The CA bundle is not offered to build steps: the classic builder ({Reason}) has no secret mounts; the test container still gets it", reason);
                return [];
            }

            throw new Diagnostics.DindBuildException(
                Diagnostics.FailureKind.BadParameters,
                $"Build secrets need BuildKit, and the build would use the classic builder ({reason}).",
                string.Join('\n', Options.BuildSecrets.Select(secret => secret.Describe())),
                "build on a daemon with BuildKit (Engine 18.09 or later on Linux), or drop the --build-secret parameters.");
        }

        var secrets = Options.BuildSecrets.Select(source => source.Read(Environment.GetEnvironmentVariable)).ToList();
        if (!ca.IsEmpty)
        {
            var bundle = ca.ToPemBytes();
            if (secrets.Any(secret => secret.Id == Trust.CaBundle.BuildSecretId))
            {
                _log.Information("Your --build-secret {Id} is served as given, not the CA bundle of --extra-ca-cert/--trust-host-ca", Trust.CaBundle.BuildSecretId);
            }
            else if (bundle.Length > BuildSecret.MaxBytes)
            {
                _log.Warning("The CA bundle ({Bytes} bytes, {Count} certificates) is over BuildKit's {Max}-byte secret limit: not offered to build steps; name fewer CAs with --extra-ca-cert", bundle.Length, ca.Count, BuildSecret.MaxBytes);
            }
            else
            {
                secrets.Add(new BuildSecret(Trust.CaBundle.BuildSecretId, bundle));
            }
        }

        _log.Information("Build secrets (served over a BuildKit session, never written anywhere): {Ids}", string.Join(", ", secrets.Select(secret => secret.Id)));
        return [.. secrets];
    }
}
