using System.Text.Json;
using Docker.DotNet;

namespace DindBuild.Docker;

/// <summary>The engine answers errors as <c>{"message": "..."}</c>; users want the sentence, not the JSON.</summary>
internal static class EngineError
{
    public static string MessageOf(DockerApiException exception)
    {
        try
        {
            using var document = JsonDocument.Parse(exception.ResponseBody ?? "");
            if (document.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
            // Not JSON: the body itself is the best evidence there is.
        }

        return string.IsNullOrWhiteSpace(exception.ResponseBody) ? exception.StatusCode.ToString() : exception.ResponseBody.Trim();
    }
}
