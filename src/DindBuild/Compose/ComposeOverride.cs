using System.Text.Json.Nodes;
using DindBuild.Sessions;

namespace DindBuild.Compose;

/// <summary>
/// The compose file DindBuild adds after the user's (<c>-f … -f override.json</c>; JSON is YAML): every service, network
/// and volume compose creates gets the session's labels, so teardown, the reaper and leak checks find them as they find
/// the single test container; no service pulls (<c>pull_policy: never</c>: the images were seeded or built before
/// <c>up</c>, and this machine may be offline); the test service gets a volume at the artifacts path, exported as today.
/// </summary>
internal static class ComposeOverride
{
    /// <summary>The compose name of the artifacts volume (compose prefixes it with the project).</summary>
    public const string ArtifactsVolume = "dindbuild-artifacts";

    public static string Json(ComposeModel model, string sessionId, string owner, string testService, string artifactsPath)
    {
        var services = new JsonObject();
        foreach (var service in model.Services)
        {
            var entry = new JsonObject
            {
                ["labels"] = Labels(sessionId, "compose-service", owner),
                ["pull_policy"] = "never",
            };
            if (service.Name == testService)
            {
                entry["volumes"] = new JsonArray(new JsonObject { ["type"] = "volume", ["source"] = ArtifactsVolume, ["target"] = artifactsPath });
            }

            services[service.Name] = entry;
        }

        var networks = new JsonObject();
        foreach (var network in model.Networks)
        {
            networks[network] = new JsonObject { ["labels"] = Labels(sessionId, "compose-network", owner) };
        }

        var volumes = new JsonObject();
        foreach (var volume in model.Volumes.Append(ArtifactsVolume).Distinct(StringComparer.Ordinal))
        {
            volumes[volume] = new JsonObject { ["labels"] = Labels(sessionId, "compose-volume", owner) };
        }

        return new JsonObject { ["services"] = services, ["networks"] = networks, ["volumes"] = volumes }.ToJsonString();
    }

    private static JsonObject Labels(string sessionId, string role, string owner)
    {
        var labels = new JsonObject();
        foreach (var (key, value) in SessionLabels.For(sessionId, role, owner))
        {
            labels[key] = value;
        }

        return labels;
    }
}
