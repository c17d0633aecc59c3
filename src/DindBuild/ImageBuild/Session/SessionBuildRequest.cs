using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DindBuild.Docker;

namespace DindBuild.ImageBuild.Session;

/// <summary>
/// <c>POST /build?version=2&amp;session=ID</c> with the context tar as the body: a BuildKit build that can reach the
/// client session. Sent by a plain HttpClient over <see cref="DaemonConnection"/>, because Docker.DotNet's build
/// parameters have no <c>session</c> field (and the query attribute it would need is internal to that library).
/// </summary>
internal static class SessionBuildRequest
{
    private const int MaxErrorBody = 64 * 1024;

    public static async Task SendAsync(DockerEndpoint endpoint, ImageBuildSpec spec, string sessionId, Stream context, Action<ProgressMessage> onMessage, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) => await DaemonConnection.OpenAsync(endpoint, token).ConfigureAwait(false),
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var content = new StreamContent(context);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://docker" + PathAndQuery(spec, sessionId)) { Content = content };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var buffer = new byte[MaxErrorBody];
            var read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            throw new DockerOperationException("docker build", $"{(int)response.StatusCode} {MessageOf(buffer.AsSpan(0, read))}");
        }

        await BuildMessageStream.ReadAsync(body, onMessage, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The query the docker CLI sends for the same build (labels and build args as JSON objects).</summary>
    internal static string PathAndQuery(ImageBuildSpec spec, string sessionId)
    {
        var query = new List<(string, string)>
        {
            ("t", spec.Tag),
            ("dockerfile", spec.Dockerfile),
            ("version", "2"),
            ("session", sessionId),
            ("rm", "1"),
            ("forcerm", "1"),
        };
        if (!spec.BuildArgs.IsEmpty)
        {
            query.Add(("buildargs", JsonSerializer.Serialize(spec.BuildArgs.ToDictionary())));
        }

        if (!spec.Labels.IsEmpty)
        {
            query.Add(("labels", JsonSerializer.Serialize(spec.Labels.ToDictionary())));
        }

        if (spec.TargetStage is { } target)
        {
            query.Add(("target", target));
        }

        return "/build?" + string.Join('&', query.Select(pair => $"{pair.Item1}={Uri.EscapeDataString(pair.Item2)}"));
    }

    private static string MessageOf(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not the daemon's JSON error: show the text itself.
        }

        return Encoding.UTF8.GetString(body).Trim();
    }
}
