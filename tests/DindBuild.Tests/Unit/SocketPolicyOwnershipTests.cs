using System.Text.Json.Nodes;
using DindBuild.Sessions;
using DindBuild.SocketPolicy;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// The tests may use only the session's objects: every container, volume, network, exec and (for
/// removal) image a request names is looked up, refused when it is someone else's, and sent on by the
/// id that was checked; lists and prunes are limited to the session's objects by a label filter.
/// </summary>
public sealed class SocketPolicyOwnershipTests
{
    private const string Session = "owner0session";

    private readonly FakeDaemonObjects _daemon = new(Session);
    private readonly RequestPolicy _policy;

    public SocketPolicyOwnershipTests()
    {
        _policy = new RequestPolicy(Session, "host:42:7", "/run/dindbuild/proxy.sock", _daemon);
        _daemon.Add("containers", "hosts-job", ours: false);
        _daemon.Add("containers", "web", ours: true);
        _daemon.Add("volumes", "hosts-data", ours: false);
        _daemon.Add("volumes", "our-data", ours: true);
        _daemon.Add("networks", "hosts-net", ours: false);
        _daemon.Add("networks", "our-net", ours: true);
        _daemon.Add("images", "hosts/app:1", ours: false);
        _daemon.Add("images", "built:1", ours: true);
        _daemon.AddExec("exec-of-host", "hosts-job");
    }

    private static string Id(string name) => FakeDaemonObjects.Hex(name);

    [Theory]
    [InlineData("POST", "/v1.45/containers/hosts-job/exec", "container 'hosts-job'")]
    [InlineData("POST", "/containers/hosts-job/stop?t=0", "container 'hosts-job'")]
    [InlineData("POST", "/containers/hosts-job/kill", "container 'hosts-job'")]
    [InlineData("DELETE", "/containers/hosts-job?force=1", "container 'hosts-job'")]
    [InlineData("POST", "/containers/hosts-job/attach?stream=1", "container 'hosts-job'")]
    [InlineData("GET", "/containers/hosts-job/attach/ws", "container 'hosts-job'")]
    [InlineData("GET", "/containers/hosts-job/archive?path=/etc", "container 'hosts-job'")]
    [InlineData("PUT", "/containers/hosts-job/archive?path=/", "container 'hosts-job'")]
    [InlineData("GET", "/containers/hosts-job/logs?stdout=1", "container 'hosts-job'")]
    [InlineData("GET", "/containers/hosts-job/json", "container 'hosts-job'")]
    [InlineData("POST", "/containers/hosts-job/update", "container 'hosts-job'")]
    [InlineData("POST", "/containers/hosts-job/rename?name=x", "container 'hosts-job'")]
    [InlineData("POST", "/containers/hosts-job/pause", "container 'hosts-job'")]
    [InlineData("GET", "/containers/hosts-job/export", "container 'hosts-job'")]
    [InlineData("POST", "/commit?container=hosts-job&repo=x", "commit container 'hosts-job'")]
    [InlineData("POST", "/commit?container=web&Container=hosts-job", "commit container 'hosts-job'")]
    [InlineData("POST", "/exec/exec-of-host/start", "an exec belongs to its container")]
    [InlineData("GET", "/volumes/hosts-data", "volume 'hosts-data'")]
    [InlineData("DELETE", "/volumes/hosts-data", "volume 'hosts-data'")]
    [InlineData("GET", "/networks/hosts-net", "network 'hosts-net'")]
    [InlineData("POST", "/networks/hosts-net/connect", "network 'hosts-net'")]
    [InlineData("DELETE", "/networks/hosts-net", "network 'hosts-net'")]
    [InlineData("DELETE", "/networks/bridge", "network 'bridge'")]
    [InlineData("DELETE", "/images/hosts/app:1", "image 'hosts/app:1'")]
    public async Task Requests_naming_someone_elses_object_are_refused_naming_the_rule(string method, string target, string what)
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => CheckHeadAsync(method, target));

        Assert.Contains(what, refusal.Message, StringComparison.Ordinal);
        Assert.Contains($"is not this session's: only containers, volumes, networks and images labelled org.dindbuild.session={Session} can be used", refusal.Message, StringComparison.Ordinal);
        Assert.Equal("ownership", refusal.Rule);
    }

    [Theory]
    [InlineData("POST", "/v1.45/containers/web/exec", "/v1.45/containers/{web}/exec")]
    [InlineData("DELETE", "/containers/web?force=1", "/containers/{web}?force=1")]
    [InlineData("GET", "/containers/web/attach/ws?stream=1", "/containers/{web}/attach/ws?stream=1")]
    [InlineData("PUT", "/containers/%77eb/archive?path=%2Ftmp", "/containers/{web}/archive?path=%2Ftmp")]
    [InlineData("POST", "/networks/our-net/connect", "/networks/{our-net}/connect")]
    [InlineData("GET", "/networks/bridge", "/networks/{bridge}")]
    [InlineData("POST", "/networks/bridge/disconnect", "/networks/{bridge}/disconnect")]
    [InlineData("POST", "/commit?container=web&repo=x", "/commit?repo=x&container={web}")]
    public async Task The_sessions_own_objects_are_sent_on_by_the_id_that_was_checked(string method, string target, string expected)
    {
        var sent = await CheckHeadAsync(method, target);

        Assert.Equal(expected.Replace("{web}", Id("web"), StringComparison.Ordinal).Replace("{our-net}", Id("our-net"), StringComparison.Ordinal).Replace("{bridge}", Id("bridge"), StringComparison.Ordinal), sent);
    }

    [Theory]
    [InlineData("GET", "/volumes/our-data")]
    [InlineData("DELETE", "/volumes/our-data")]
    [InlineData("DELETE", "/images/built:1")]
    [InlineData("GET", "/images/hosts/app:1/json")]
    [InlineData("POST", "/images/hosts/app:1/tag?repo=mine")]
    [InlineData("POST", "/images/create?fromImage=alpine")]
    [InlineData("GET", "/info")]
    public async Task Volumes_images_and_the_rest_go_on_unchanged_when_allowed(string method, string target)
    {
        Assert.Null(await CheckHeadAsync(method, target));
    }

    [Fact]
    public async Task A_missing_object_gets_the_daemons_own_404_and_is_not_forwarded()
    {
        var answer = await Assert.ThrowsAsync<PolicyAnswerException>(() => CheckHeadAsync("GET", "/volumes/nothing-here"));

        Assert.Equal(404, answer.Answer.Status);
        Assert.Contains("nothing-here", answer.Answer.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/containers/json?all=1", null)]
    [InlineData("GET", "/v1.41/containers/json?filters=%7B%22name%22%3A%5B%22x%22%5D%7D", """{"name":["x"]}""")]
    [InlineData("GET", "/volumes?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D", """{"label":["a=b"]}""")]
    [InlineData("GET", "/networks?filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D&Filters=%7B%7D", """{"label":{"a=b":true}}""")]
    [InlineData("POST", "/containers/prune", null)]
    [InlineData("POST", "/volumes/prune?filters=%7B%22all%22%3A%5B%22true%22%5D%7D", """{"all":["true"]}""")]
    [InlineData("POST", "/networks/prune", null)]
    [InlineData("POST", "/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D", """{"dangling":["false"]}""")]
    public async Task Lists_and_prunes_cover_only_the_sessions_objects(string method, string target, string? given)
    {
        var sent = await CheckHeadAsync(method, target);

        var query = sent!.Split('?', 2)[1];
        var filters = JsonNode.Parse(QueryRewrite.GoValue(query, "filters")!)!.AsObject();
        Assert.True(filters["label"]![$"{SessionLabels.Session}={Session}"]!.GetValue<bool>());
        foreach (var (name, value) in given is null ? [] : JsonNode.Parse(given)!.AsObject())
        {
            if (name == "label")
            {
                var labels = value is JsonArray list ? list.Select(item => item!.GetValue<string>()) : value!.AsObject().Select(pair => pair.Key);
                Assert.All(labels, label => Assert.True(filters["label"]![label]!.GetValue<bool>()));
            }
            else
            {
                Assert.Equal(value!.ToJsonString(), filters[name]!.ToJsonString());
            }
        }

        Assert.Single(query.Split('&'), pair => pair.StartsWith("filters=", StringComparison.OrdinalIgnoreCase));
    }

    public static TheoryData<string, string> ForeignReferences => new()
    {
        { """{"HostConfig":{"NetworkMode":"container:hosts-job"}}""", "HostConfig.NetworkMode container 'hosts-job'" },
        { """{"HostConfig":{"PidMode":"container:hosts-job"}}""", "HostConfig.PidMode container 'hosts-job'" },
        { """{"HostConfig":{"IpcMode":"container:hosts-job"}}""", "HostConfig.IpcMode container 'hosts-job'" },
        { """{"HostConfig":{"VolumesFrom":["hosts-job:ro"]}}""", "HostConfig.VolumesFrom container 'hosts-job'" },
        { """{"HostConfig":{"Links":["hosts-job:db"]}}""", "HostConfig.Links container 'hosts-job'" },
        { """{"HostConfig":{"NetworkMode":"hosts-net"}}""", "HostConfig.NetworkMode network 'hosts-net'" },
        { """{"NetworkingConfig":{"EndpointsConfig":{"hosts-net":{}}}}""", "NetworkingConfig.EndpointsConfig network 'hosts-net'" },
        { """{"HostConfig":{"Binds":["hosts-data:/data"]}}""", "HostConfig.Binds volume 'hosts-data'" },
        { """{"HostConfig":{"Mounts":[{"Type":"volume","Source":"hosts-data","Target":"/d"}]}}""", "HostConfig.Mounts volume 'hosts-data'" },
        { """{"VolumesFrom":["hosts-job"]}""", "VolumesFrom container 'hosts-job'" },
    };

    [Theory]
    [MemberData(nameof(ForeignReferences))]
    public async Task Creates_that_join_or_mount_someone_elses_objects_are_refused(string body, string rule)
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/containers/create", body));

        Assert.Contains(rule, refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_daemon.Asked, asked => asked.Method == "POST");
    }

    [Fact]
    public async Task A_creates_references_to_the_sessions_objects_are_sent_on_by_id()
    {
        var forwarded = await InspectAsync(
            "/containers/create",
            """{"Image":"x","HostConfig":{"NetworkMode":"container:web","PidMode":"container:web","VolumesFrom":["web:ro"],"Links":["web","/web:db"],"Binds":["our-data:/d"]},"NetworkingConfig":{"EndpointsConfig":{"our-net":{},"bridge":{},"default":{}}}}""");

        var hostConfig = forwarded["HostConfig"]!;
        var id = Id("web");
        Assert.Equal("container:" + id, hostConfig["NetworkMode"]!.GetValue<string>());
        Assert.Equal("container:" + id, hostConfig["PidMode"]!.GetValue<string>());
        Assert.Equal(id + ":ro", hostConfig["VolumesFrom"]![0]!.GetValue<string>());
        Assert.Equal([$"{id}:web", $"{id}:db"], hostConfig["Links"]!.AsArray().Select(link => link!.GetValue<string>()));
        Assert.DoesNotContain(_daemon.Asked, asked => asked.Method == "POST");
    }

    [Fact]
    public async Task Named_volumes_a_create_would_make_are_created_first_with_the_session_labels()
    {
        await InspectAsync(
            "/containers/create",
            """{"Image":"x","HostConfig":{"Binds":["fresh:/x","/anonymous","our-data:/d:ro"],"Mounts":[{"Type":"volume","Source":"mounted","Target":"/m","VolumeOptions":{"Labels":{"mine":"1"}}},{"Type":"volume","Target":"/anon"}]}}""");

        var created = _daemon.Asked.Where(asked => asked.Method == "POST").Select(asked => JsonNode.Parse(asked.Body!)!).ToDictionary(volume => volume["Name"]!.GetValue<string>());
        Assert.Equal(["fresh", "mounted"], created.Keys.Order());
        Assert.Equal(Session, created["fresh"]["Labels"]![SessionLabels.Session]!.GetValue<string>());
        Assert.Equal(RequestPolicy.Role, created["fresh"]["Labels"]![SessionLabels.Role]!.GetValue<string>());
        Assert.Equal(Session, created["mounted"]["Labels"]![SessionLabels.Session]!.GetValue<string>());
        Assert.Equal("1", created["mounted"]["Labels"]!["mine"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_network_connect_must_name_the_sessions_container_and_gets_its_id()
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/networks/our-net/connect", """{"Container":"hosts-job"}"""));
        var forwarded = await InspectAsync("/networks/our-net/disconnect", """{"container":"web","Force":true}""");

        Assert.Contains("Container container 'hosts-job'", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(Id("web"), forwarded["container"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_sessions_ids_are_looked_up_once_and_again_after_a_removal()
    {
        await CheckHeadAsync("GET", $"/containers/{Id("web")}/json");
        await CheckHeadAsync("POST", $"/containers/{Id("web")}/wait");
        var afterTwo = _daemon.Asked.Count;
        await CheckHeadAsync("DELETE", $"/containers/{Id("web")}");
        await CheckHeadAsync("GET", $"/containers/{Id("web")}/json");

        Assert.Equal(1, afterTwo);
        Assert.Equal(2, _daemon.Asked.Count);

        // Names are always looked up: a name can pass to another container.
        await CheckHeadAsync("GET", "/containers/web/json");
        await CheckHeadAsync("GET", "/containers/web/json");
        Assert.Equal(4, _daemon.Asked.Count);
    }

    private Task<string?> CheckHeadAsync(string method, string target) => _policy.CheckHeadAsync(method, target);

    private Task<JsonObject> InspectAsync(string target, string body) => _policy.InspectAsync(target, body);
}
