using System.Text.Json;

namespace DindBuild.Compose;

/// <summary>One container of the stack as <c>docker compose ps -a --format json</c> shows it: for the report and for blame.</summary>
public sealed record ComposeServiceState(string Service, string ContainerId, string Image, string State, long ExitCode, string Health)
{
    /// <summary>It stopped with a non-zero code, or its healthcheck failed.</summary>
    public bool Failed => Health == "unhealthy" || (State is "exited" or "dead" && ExitCode != 0);

    /// <summary>
    /// Reads the output of <c>ps --format json</c>: one object per line (compose 2.21 and later) or one array (earlier);
    /// a line that is neither is skipped (compose's warnings go to stderr, but a hostile image name must not break this).
    /// </summary>
    internal static IReadOnlyList<ComposeServiceState> ParseAll(IEnumerable<string> lines)
    {
        var states = new List<ComposeServiceState>();
        foreach (var line in lines.Select(line => line.Trim()).Where(line => line.Length > 0))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Array)
                {
                    states.AddRange(root.EnumerateArray().Select(From).OfType<ComposeServiceState>());
                }
                else if (From(root) is { } state)
                {
                    states.Add(state);
                }
            }
            catch (JsonException)
            {
                // Not ps output.
            }
        }

        return states;
    }

    private static ComposeServiceState? From(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object || Text(entry, "Service") is not { Length: > 0 } service)
        {
            return null;
        }

        var exitCode = entry.TryGetProperty("ExitCode", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt64(out var value) ? value : 0;
        return new ComposeServiceState(service, Text(entry, "ID") ?? "", Text(entry, "Image") ?? "", Text(entry, "State") ?? "", exitCode, Text(entry, "Health") ?? "");
    }

    private static string? Text(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
