using System.Diagnostics;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.IO;

namespace DindBuild.Sessions;

public sealed partial class DindSession
{
    /// <summary>
    /// PublishImage: what passed the tests leaves the session daemon before teardown throws it away —
    /// <c>docker tag</c> + <c>docker push</c> per <c>--publish REF</c> (credentials from <c>--docker-auth-config</c>),
    /// <c>docker save | docker -H host load</c> with <c>--load-into-host</c>, <c>docker save -o PATH</c> with
    /// <c>--save-image</c>. Never after failed tests: skipped with a warning, so a red build ships nothing.
    /// </summary>
    public Task PublishImageAsync(CancellationToken cancellationToken) => StepAsync("PublishImage", async () =>
    {
        RequireOpen("PublishImage");
        if (!Options.PublishRequested)
        {
            _log.Information("PublishImage: nothing to do (no --publish, --load-into-host or --save-image)");
            return;
        }

        if (_state.TestsPassed is not true)
        {
            if (_state.TestsPassed is false)
            {
                LogPublishSkipped();
                return;
            }

            throw new DindBuildException(
                FailureKind.BadParameters,
                $"PublishImage publishes only an image whose tests passed, and session {Id} ran no tests.",
                null,
                "run RunTests first (DindTest runs PublishImage after them).");
        }

        var image = _state.BuiltImageTag ?? Options.ImageTag;
        var daemon = await DaemonAsync(cancellationToken).ConfigureAwait(false);
        foreach (var reference in Options.PublishReferences)
        {
            var digest = await PushAsync(daemon, image, reference, cancellationToken).ConfigureAwait(false);
            _steps.Facts = _steps.Facts with { Published = [.. _steps.Facts.Published, digest is null ? reference : $"{reference}@{digest}"] };
        }

        if (Options.LoadIntoHost)
        {
            await Published(() => _mode.LoadIntoHostAsync(image, cancellationToken), $"load {image} into the host engine").ConfigureAwait(false);
            _steps.Facts = _steps.Facts with { Published = [.. _steps.Facts.Published, $"{image} on the host engine"] };
        }

        if (Options.SaveImagePath is { } path)
        {
            await Published(() => SaveImageAsync(daemon, image, path, cancellationToken), $"save {image} to {path}").ConfigureAwait(false);
            _steps.Facts = _steps.Facts with { Published = [.. _steps.Facts.Published, path] };
        }
    });

    /// <summary>Said where the tests failed: a red run must show that nothing was shipped, and why.</summary>
    private void LogPublishSkipped()
    {
        if (Options.PublishRequested)
        {
            _log.Warning("PublishImage skipped: the tests failed, so {Image} is not pushed, loaded or saved", _state.BuiltImageTag ?? Options.ImageTag);
        }
    }

    private async Task<string?> PushAsync(IDockerEngine daemon, string image, string reference, CancellationToken cancellationToken)
    {
        var registry = ImageReference.Parse(reference).Registry;
        var credential = Options.RegistryCredentials.FirstOrDefault(candidate => RegistryHost(candidate.Registry) == registry);
        _log.Information("Pushing {Image} as {Reference} ({Credentials})", image, reference, credential is null ? $"no credentials for {registry} in --docker-auth-config: anonymous" : $"as {credential.Username ?? "token"} for {registry}");
        if (image != reference)
        {
            await daemon.Images.TagAsync(image, reference, cancellationToken).ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        var progress = new Images.PushProgress();
        void Observe(PushStatus status)
        {
            progress.Observe(status);
            _log.Debug("push {Reference} │ {Status}", reference, SafeText.Escape(status.Layer is null ? status.Status : $"{status.Layer}: {status.Status}"));
        }

        try
        {
            string? digest;
            using (ProgressReporter.ForConsole(_log).Start($"Pushing {reference}", () => progress.BytesSent, _state.BuiltImageSize ?? 0))
            {
                digest = await daemon.Images.PushAsync(reference, credential, Observe, cancellationToken).ConfigureAwait(false);
            }

            var (pushed, existed) = progress.Layers;
            _log.Information(
                "Pushed {Reference} in {Seconds:0.0} s: digest {Digest} ({Pushed} layer(s) uploaded, {MiB:0.0} MiB; {Existed} already in the registry)",
                reference, clock.Elapsed.TotalSeconds, digest ?? "(the registry named none)", pushed, progress.BytesSent / 1048576.0, existed);
            return digest;
        }
        catch (DockerOperationException ex)
        {
            var refused = ex.Message.Contains("unauthorized", StringComparison.OrdinalIgnoreCase)
                || ex.Message.Contains("denied", StringComparison.OrdinalIgnoreCase)
                || ex.Message.Contains("authentication required", StringComparison.OrdinalIgnoreCase);
            throw new DindBuildException(
                FailureKind.PublishFailed,
                $"PublishImage: pushing {reference} to {registry} failed{(refused ? ": the registry refused the credentials or the repository" : string.Empty)}",
                ex.Message,
                refused
                    ? $"give credentials for {registry} that may push to this repository in --docker-auth-config (config.json text or a credentials file) or DOCKER_AUTH_CONFIG ({(credential is null ? "there are none for it now" : "the ones given were refused")}); a retry alone will not help"
                    : $"check that {registry} is reachable from the DinD daemon and trusted by it ('--registry-ca {registry}=FILE' for a private CA, or --extra-ca-cert); a retry may help",
                ex);
        }
    }

    /// <summary><c>docker save -o PATH</c>: into a temporary file beside it, renamed when complete, so a half archive never has the name.</summary>
    private async Task SaveImageAsync(IDockerEngine daemon, string image, string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var partial = path + ".partial";
        var clock = Stopwatch.StartNew();
        long bytes;
        await using (var saved = await daemon.Images.SaveAsync(image, cancellationToken).ConfigureAwait(false))
        {
            var counted = new CountingReadStream(saved);
            await using var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            using (ProgressReporter.ForConsole(_log).Start($"Saving {image}", () => counted.BytesRead, _state.BuiltImageSize ?? 0))
            {
                await counted.CopyToAsync(file, 1 << 20, cancellationToken).ConfigureAwait(false);
            }

            bytes = counted.BytesRead;
        }

        File.Move(partial, path, overwrite: true);
        _log.Information("Saved {Image} to {Path}: {MiB:0.0} MiB in {Seconds:0.0} s (docker load -i {Path})", image, path, bytes / 1048576.0, clock.Elapsed.TotalSeconds, path);
    }

    private static async Task Published(Func<Task> action, string what)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DockerOperationException or IOException or UnauthorizedAccessException)
        {
            throw new DindBuildException(FailureKind.PublishFailed, $"PublishImage: could not {what}", ex.Message, "see the evidence; the tests passed, so only this step needs running again (./build.sh PublishImage on a kept session)", ex);
        }
    }

    /// <summary>config.json keys are hosts or URLs (<c>https://index.docker.io/v1/</c> for Docker Hub).</summary>
    private static string RegistryHost(string key)
    {
        var host = key.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(key, UriKind.Absolute, out var uri) ? uri.Authority : key.TrimEnd('/');
        return host is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : host;
    }
}
