using DindBuild.Docker;

namespace DindBuild.Dind;

/// <summary>
/// Whether the DinD daemon's containers really start in a user namespace on this host, asked of the
/// runtime itself: <c>docker import</c> of an empty root filesystem, then <c>docker run</c> of a command
/// it does not have. runc sets up every namespace and mount first and looks for the command last, so
/// "no such file" for that command means the user namespace works; a failure before it — "can't get
/// final child's PID from pipe", "error mounting proc" — is the reason it does not. Nothing but the
/// empty image (no layers' worth of bytes) is left in the daemon.
/// </summary>
internal static class InnerUsernsProbe
{
    public const string Image = "dindbuild/userns-probe:latest";

    public const string MissingCommand = "/dindbuild-userns-probe";

    /// <summary>Null when a container starts in the user namespace; else the runtime's reason why not.</summary>
    public static async Task<string?> FailureAsync(IDockerEngine daemon, CancellationToken cancellationToken)
    {
        if (await daemon.Images.InspectAsync(Image, cancellationToken).ConfigureAwait(false) is null)
        {
            // An empty tar: two zero blocks.
            using var empty = new MemoryStream(new byte[1024]);
            await daemon.Images.ImportAsync(empty, Image, [], cancellationToken).ConfigureAwait(false);
        }

        var id = await daemon.Containers.CreateAsync(new ContainerSpec(Image) { Command = [MissingCommand], NetworkMode = "none" }, cancellationToken).ConfigureAwait(false);
        try
        {
            await daemon.Containers.StartAsync(id, cancellationToken).ConfigureAwait(false);
            return $"the probe container started although its command {MissingCommand} does not exist; the runtime cannot be judged";
        }
        catch (DockerOperationException ex) when (ReachedTheCommand(ex.EngineMessage))
        {
            return null;
        }
        catch (DockerOperationException ex)
        {
            return ex.EngineMessage;
        }
        finally
        {
            await daemon.Containers.RemoveAsync(id, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>runc: <c>exec: "/x": stat /x: no such file or directory</c>; crun: <c>executable file `/x` not found</c>.</summary>
    public static bool ReachedTheCommand(string engineMessage) =>
        engineMessage.Contains(MissingCommand, StringComparison.Ordinal)
        && (engineMessage.Contains("no such file or directory", StringComparison.OrdinalIgnoreCase) || engineMessage.Contains("not found", StringComparison.OrdinalIgnoreCase));
}
