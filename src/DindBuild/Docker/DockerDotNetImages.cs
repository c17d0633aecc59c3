using Docker.DotNet;
using Docker.DotNet.Models;

namespace DindBuild.Docker;

internal sealed partial class DockerDotNetImages(DockerClient client, DockerEndpoint endpoint) : IDockerImages
{
    public async Task<ImageSummary?> InspectAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var image = await client.Images.InspectImageAsync(name, cancellationToken).ConfigureAwait(false);
            var labels = image.Config?.Labels is { } found ? new Dictionary<string, string>(found) : [];
            return new ImageSummary(image.ID, image.RepoTags?.ToList() ?? [], image.Size, labels);
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
    }

    public async Task PullAsync(string name, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(name);
        var errors = new ErrorCollector();
        try
        {
            await client.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = reference.Repository, Tag = reference.TagOrDigest },
                authConfig: null,
                new SynchronousProgress<JSONMessage>(errors.Observe),
                cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex)
        {
            throw new DockerOperationException($"docker pull {name}", EngineError.MessageOf(ex), ex);
        }

        errors.ThrowIfAny($"docker pull {name}");
    }

    public async Task BuildAsync(ImageBuildSpec spec, Stream context, Action<ProgressMessage> onMessage, CancellationToken cancellationToken)
    {
        var parameters = new ImageBuildParameters
        {
            Tags = [spec.Tag],
            Dockerfile = spec.Dockerfile,
            BuildArgs = spec.BuildArgs.ToDictionary(),
            Target = spec.TargetStage,
            Labels = spec.Labels.ToDictionary(),
            Remove = true,
            ForceRemove = true,
        };
        if (spec.Builder == BuilderKind.BuildKit && (!spec.Secrets.IsEmpty || spec.SecretMounts))
        {
            await BuildWithSessionAsync(spec, context, onMessage, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (spec.Builder == BuilderKind.BuildKit)
        {
            parameters.Version = "2";
            await BuildWithBuildKitAsync(parameters, context, onMessage, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The build API answers 200 and reports failures only inside the stream: callers see every message.
        await client.Images.BuildImageFromDockerfileAsync(
            parameters,
            context,
            authConfigs: spec.RegistryCredentials.Select(credential => new AuthConfig
            {
                ServerAddress = credential.Registry,
                Username = credential.Username!,
                Password = credential.Password!,
                IdentityToken = credential.IdentityToken!,
            }).ToList(),
            headers: null,
            new SynchronousProgress<JSONMessage>(message => onMessage(new ProgressMessage(message.Stream, message.Error?.Message))),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<Stream> SaveAsync(string name, CancellationToken cancellationToken) =>
        await client.Images.SaveImageAsync(name, cancellationToken).ConfigureAwait(false);

    public async Task LoadAsync(Stream imageTar, CancellationToken cancellationToken)
    {
        var errors = new ErrorCollector();
        await client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, imageTar, new SynchronousProgress<JSONMessage>(errors.Observe), cancellationToken).ConfigureAwait(false);
        errors.ThrowIfAny("docker load");
    }

    public async Task TagAsync(string source, string target, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(target);
        try
        {
            await client.Images.TagImageAsync(source, new ImageTagParameters { RepositoryName = reference.Repository, Tag = reference.TagOrDigest }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex)
        {
            throw new DockerOperationException($"docker tag {source} {target}", EngineError.MessageOf(ex), ex);
        }
    }

    public async Task<string?> PushAsync(string name, Settings.RegistryCredential? credential, Action<PushStatus> onStatus, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(name);
        var errors = new ErrorCollector();
        string? digest = null;
        void Observe(JSONMessage message)
        {
            errors.Observe(message);
            if (message.Status is { Length: > 0 } status)
            {
                onStatus(new PushStatus(string.IsNullOrEmpty(message.ID) ? null : message.ID, status, message.Progress?.Current, message.Progress?.Total));

                // The last line of a push: "TAG: digest: sha256:HEX size: N" (the CLI prints the same).
                if (PushedDigest().Match(status) is { Success: true } found)
                {
                    digest = found.Groups[1].Value;
                }
            }
        }

        try
        {
            await client.Images.PushImageAsync(
                reference.Repository,
                new ImagePushParameters { Tag = reference.TagOrDigest },
                credential is null ? new AuthConfig() : new AuthConfig
                {
                    ServerAddress = credential.Registry,
                    Username = credential.Username!,
                    Password = credential.Password!,
                    IdentityToken = credential.IdentityToken!,
                },
                new SynchronousProgress<JSONMessage>(Observe),
                cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex)
        {
            throw new DockerOperationException($"docker push {name}", EngineError.MessageOf(ex), ex);
        }

        errors.ThrowIfAny($"docker push {name}");
        return digest;
    }

    public async Task ImportAsync(Stream rootfsTar, string name, IReadOnlyList<string> changes, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(name);
        var errors = new ErrorCollector();
        await client.Images.CreateImageAsync(
            new ImagesCreateParameters { FromSrc = "-", Repo = reference.Repository, Tag = reference.TagOrDigest, Changes = changes.ToList() },
            rootfsTar,
            authConfig: null,
            new SynchronousProgress<JSONMessage>(errors.Observe),
            cancellationToken).ConfigureAwait(false);
        errors.ThrowIfAny($"docker import - {name}");
    }

    /// <summary>
    /// BuildKit's progress is <c>{"id":"moby.buildkit.trace","aux":"BASE64"}</c>, which the typed progress overload
    /// fails to deserialise (its <c>aux</c> model is an object): the raw-stream overload gives the lines as sent.
    /// It sends no <c>X-Registry-Config</c>, which BuildKit would not read anyway (it asks a client session for
    /// credentials, and there is none); base images come in by SeedImages or the daemon's own pull.
    /// </summary>
    private async Task BuildWithBuildKitAsync(ImageBuildParameters parameters, Stream context, Action<ProgressMessage> onMessage, CancellationToken cancellationToken)
    {
#pragma warning disable CS0618 // The one overload that returns the raw stream (see above); pinned version, so it cannot vanish silently.
        var stream = await client.Images.BuildImageFromDockerfileAsync(context, parameters, cancellationToken).ConfigureAwait(false);
#pragma warning restore CS0618
        await using (stream.ConfigureAwait(false))
        {
            await BuildMessageStream.ReadAsync(stream, onMessage, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Secrets need BuildKit's client session: opened for this build only, it serves them to the daemon from this
    /// process's memory while the build runs, and is closed when the build's stream ends.
    /// </summary>
    private async Task BuildWithSessionAsync(ImageBuildSpec spec, Stream context, Action<ProgressMessage> onMessage, CancellationToken cancellationToken)
    {
        var session = await ImageBuild.Session.BuildSession.OpenAsync(endpoint, spec.Secrets, cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            try
            {
                await ImageBuild.Session.SessionBuildRequest.SendAsync(endpoint, spec, session.Id, context, onMessage, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Said as a build line, so that it sits next to the step that could not get its secret.
                if (session.Failure is { } failure)
                {
                    onMessage(new ProgressMessage($"The BuildKit session ended early: {failure}\n", null));
                }
            }
        }
    }

    public async Task<bool> RemoveAsync(string nameOrId, CancellationToken cancellationToken)
    {
        try
        {
            await client.Images.DeleteImageAsync(nameOrId, new ImageDeleteParameters { Force = false }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            return false;
        }
        catch (DockerApiException ex)
        {
            throw new DockerOperationException($"docker image rm {nameOrId}", EngineError.MessageOf(ex), ex);
        }
    }

    /// <summary>Load, pull and import answer 200 and report failure only as error messages in the stream.</summary>
    private sealed class ErrorCollector
    {
        private readonly List<string> _errors = [];

        public void Observe(JSONMessage message)
        {
            if (!string.IsNullOrEmpty(message.Error?.Message))
            {
                _errors.Add(message.Error.Message);
            }
        }

        public void ThrowIfAny(string operation)
        {
            if (_errors.Count > 0)
            {
                throw new DockerOperationException(operation, string.Join("; ", _errors));
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"digest: (sha256:[0-9a-f]{64})")]
    private static partial System.Text.RegularExpressions.Regex PushedDigest();
}
