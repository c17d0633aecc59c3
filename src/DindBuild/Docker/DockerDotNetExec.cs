using Docker.DotNet;
using Docker.DotNet.Models;

namespace DindBuild.Docker;

internal sealed partial class DockerDotNetContainers
{
    public async Task<long> ExecAsync(string id, IReadOnlyList<string> command, Action<string, bool> onLine, CancellationToken cancellationToken)
    {
        ContainerExecCreateResponse created;
        try
        {
            created = await client.Exec.CreateContainerExecAsync(
                id,
                new ContainerExecCreateParameters { Cmd = [.. command], AttachStdout = true, AttachStderr = true, User = "0" },
                cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException ex)
        {
            throw new DockerOperationException($"docker exec {id} {command[0]}", EngineError.MessageOf(ex), ex);
        }

        using (var stream = await client.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters(), cancellationToken).ConfigureAwait(false))
        {
            await ReadLinesAsync(stream, onLine, cancellationToken).ConfigureAwait(false);
        }

        // The output ends when the process does; its exit code may be published a moment later.
        for (var attempt = 0; ; attempt++)
        {
            var inspected = await client.Exec.InspectContainerExecAsync(created.ID, cancellationToken).ConfigureAwait(false);
            if (!inspected.Running || attempt >= 50)
            {
                return inspected.ExitCode ?? -1;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }
}
