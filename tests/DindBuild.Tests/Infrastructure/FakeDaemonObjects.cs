using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DindBuild.Sessions;
using DindBuild.SocketPolicy;

namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// The daemon's objects as the socket policy asks about them (inspect and volume create), in memory.
/// Containers, networks and execs nobody registered are the session's, with their name as id (so that
/// a rewritten target reads as the request's own); volumes and images nobody registered do not exist.
/// The predefined networks bridge, host and none are there, unlabelled.
/// </summary>
internal sealed class FakeDaemonObjects(string sessionId) : IDaemonQueries
{
    private readonly ConcurrentDictionary<(string Kind, string Name), (string Id, bool Ours)> _objects = new(
        new[] { "bridge", "host", "none" }.Select(name => KeyValuePair.Create(("networks", name), (Hex(name), false))));

    private readonly ConcurrentDictionary<string, string> _execs = new();

    public ConcurrentQueue<(string Method, string Path, string? Body)> Asked { get; } = new();

    /// <summary>A container, volume, network or image ("containers", "volumes", "networks", "images"); its id (a hash of the name unless given).</summary>
    public string Add(string kind, string name, bool ours, string? id = null)
    {
        id ??= kind == "volumes" ? name : Hex(name);
        _objects[(kind, name)] = (id, ours);
        return id;
    }

    public void AddExec(string id, string container) => _execs[id] = container;

    public bool Has(string kind, string name) => _objects.ContainsKey((kind, name));

    public Task<DaemonAnswer> SendAsync(string method, string path, string? json, CancellationToken cancellationToken)
    {
        Asked.Enqueue((method, path, json));
        return Task.FromResult(Answer(method, path, json));
    }

    public static string Hex(string name) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    private DaemonAnswer Answer(string method, string path, string? json)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (method == "POST" && path == "/volumes/create")
        {
            var request = JsonNode.Parse(json!)!;
            var name = request["Name"]!.GetValue<string>();
            if (!_objects.ContainsKey(("volumes", name)))
            {
                Add("volumes", name, request["Labels"]?[SessionLabels.Session]?.GetValue<string>() == sessionId);
            }

            return Found("volumes", name);
        }

        var kind = parts[0];
        var reference = Uri.UnescapeDataString(parts[1]);
        reference = kind == "containers" ? reference.TrimStart('/') : reference;
        if (kind == "exec")
        {
            var container = _execs.GetValueOrDefault(reference, reference);
            return new(200, Encoding.UTF8.GetBytes(new JsonObject { ["ID"] = reference, ["ContainerID"] = container }.ToJsonString()));
        }

        var match = _objects.Where(o => o.Key.Kind == kind && (o.Key.Name == reference || o.Value.Id == reference || (reference.Length >= 3 && o.Value.Id.StartsWith(reference, StringComparison.Ordinal)))).Select(o => o.Key.Name).FirstOrDefault();
        if (match is null && kind is "containers" or "networks")
        {
            Add(kind, reference, ours: true, id: reference);
            match = reference;
        }

        return match is null ? new(404, Encoding.UTF8.GetBytes($$"""{"message":"No such {{kind}}: {{reference}}"}""")) : Found(kind, match);
    }

    private DaemonAnswer Found(string kind, string name)
    {
        var (id, ours) = _objects[(kind, name)];
        var labels = ours ? new JsonObject { [SessionLabels.Session] = sessionId } : new JsonObject { ["other"] = "job" };
        var body = kind switch
        {
            "containers" => new JsonObject { ["Id"] = id, ["Name"] = "/" + name, ["Config"] = new JsonObject { ["Labels"] = labels } },
            "images" => new JsonObject { ["Id"] = id, ["Config"] = new JsonObject { ["Labels"] = labels } },
            "networks" => new JsonObject { ["Id"] = id, ["Name"] = name, ["Labels"] = labels },
            _ => new JsonObject { ["Name"] = name, ["Labels"] = labels },
        };
        return new(200, Encoding.UTF8.GetBytes(body.ToJsonString()));
    }
}
