using DindBuild.Docker;

namespace DindBuild.Readiness;

/// <summary>One ping of an endpoint, for deciding which engine to use.</summary>
internal static class EnginePing
{
    /// <summary>Null when the engine answers, else why not (in words fit for an error listing endpoints).</summary>
    public static async Task<string?> TryAsync(DockerEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (endpoint.UnixSocketPath is { } socket && !File.Exists(socket))
        {
            return "the socket does not exist";
        }

        if (endpoint.TlsCertificateDirectory is { } certificates && !File.Exists(Path.Combine(certificates, "cert.pem")))
        {
            return $"no client certificate: {Path.Combine(certificates, "cert.pem")} does not exist";
        }

        try
        {
            using var engine = DockerEngine.Connect(endpoint);
            var check = await new EngineAnswersPing(engine).CheckAsync(cancellationToken).ConfigureAwait(false);
            return check.State == ReadinessState.Ready ? null : check.Detail;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ex.GetBaseException().Message;
        }
    }
}
