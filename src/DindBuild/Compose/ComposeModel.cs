using System.Collections.Immutable;
using System.Text.Json;
using DindBuild.Diagnostics;

namespace DindBuild.Compose;

/// <summary>
/// The stack as compose itself resolved it (<c>docker compose config --format json</c>): merged files, profiles,
/// interpolated variables, paths made absolute. Read here rather than parsed from YAML by hand, so that what
/// DindBuild seeds, builds and labels is exactly what <c>up</c> will run.
/// </summary>
internal sealed record ComposeModel(string Project, ImmutableArray<ComposeService> Services)
{
    /// <summary>Named networks and volumes compose creates (not <c>external</c>): those the override labels.</summary>
    public ImmutableArray<string> Networks { get; init; } = [];

    public ImmutableArray<string> Volumes { get; init; } = [];

    public ComposeService? Find(string name) => Services.FirstOrDefault(service => service.Name == name);

    /// <summary>The images to seed from the host: those of services compose does not build here.</summary>
    public IReadOnlyList<string> ImagesToSeed() => [.. Services.Where(service => service.Build is null && service.Image is not null).Select(service => service.Image!).Distinct(StringComparer.Ordinal)];

    /// <exception cref="DindBuildException">The text is not what compose prints, or a service uses what DindBuild cannot build.</exception>
    public static ComposeModel Parse(string json, string project)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw Unreadable($"not JSON ({ex.Message})", json);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("services", out var services) || services.ValueKind != JsonValueKind.Object)
            {
                throw Unreadable("no 'services' object", json);
            }

            return new ComposeModel(project, [.. services.EnumerateObject().Select(ParseService)])
            {
                Networks = OwnedNames(root, "networks"),
                Volumes = OwnedNames(root, "volumes"),
            };
        }
    }

    private static ComposeService ParseService(JsonProperty service)
    {
        var body = service.Value;
        return new ComposeService(service.Name)
        {
            Image = String(body, "image"),
            Build = body.TryGetProperty("build", out var build) && build.ValueKind == JsonValueKind.Object ? ParseBuild(service.Name, build) : null,
            DependsOn = body.TryGetProperty("depends_on", out var dependsOn) && dependsOn.ValueKind == JsonValueKind.Object
                ? dependsOn.EnumerateObject().ToImmutableDictionary(entry => entry.Name, entry => String(entry.Value, "condition") ?? "service_started")
                : ImmutableDictionary<string, string>.Empty,
            HasHealthcheck = body.TryGetProperty("healthcheck", out var health) && health.ValueKind == JsonValueKind.Object
                && !(health.TryGetProperty("disable", out var disable) && disable.ValueKind == JsonValueKind.True),
            BindSources = body.TryGetProperty("volumes", out var volumes) && volumes.ValueKind == JsonValueKind.Array
                ? [.. volumes.EnumerateArray().Where(volume => String(volume, "type") == "bind").Select(volume => String(volume, "source")).OfType<string>()]
                : [],
        };
    }

    private static ComposeBuild ParseBuild(string service, JsonElement build)
    {
        if (String(build, "dockerfile_inline") is not null)
        {
            throw new DindBuildException(
                FailureKind.BadParameters,
                $"The compose service '{service}' builds from 'dockerfile_inline', which DindBuild's builder does not take.",
                $"services.{service}.build.dockerfile_inline",
                "put the Dockerfile in a file in the build context and name it with 'dockerfile:'.");
        }

        var context = String(build, "context") ?? throw Unreadable($"services.{service}.build has no context", build.GetRawText());
        return new ComposeBuild(context, String(build, "dockerfile") ?? "Dockerfile")
        {
            Target = String(build, "target"),
            Args = build.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object
                ? args.EnumerateObject().Where(arg => arg.Value.ValueKind == JsonValueKind.String).ToImmutableDictionary(arg => arg.Name, arg => arg.Value.GetString()!)
                : ImmutableDictionary<string, string>.Empty,
        };
    }

    private static ImmutableArray<string> OwnedNames(JsonElement root, string section) =>
        root.TryGetProperty(section, out var entries) && entries.ValueKind == JsonValueKind.Object
            ? [.. entries.EnumerateObject().Where(entry => !(entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("external", out var external) && external.ValueKind == JsonValueKind.True)).Select(entry => entry.Name)]
            : [];

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DindBuildException Unreadable(string what, string text) => new(
        FailureKind.Infrastructure,
        $"'docker compose config --format json' printed what DindBuild cannot read: {what}.",
        TextTail.LastLines(text, 20),
        "check that the DinD image has Docker Compose v2 ('docker compose version' in it).");
}
