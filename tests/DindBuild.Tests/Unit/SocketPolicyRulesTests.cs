using System.Text;
using System.Text.Json.Nodes;
using DindBuild.Sessions;
using DindBuild.SocketPolicy;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>Every rule of the strict socket policy, allowed and refused, on the request bodies themselves.</summary>
public sealed class SocketPolicyRulesTests
{
    private const string Session = "rules0session";
    private const string PolicySocket = "/run/dindbuild/proxy.sock";

    private readonly FakeDaemonObjects _daemon = new(Session);

    private RequestPolicy Policy => new(Session, "host:42:7", PolicySocket, _daemon);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> RefusedCreates => new()
    {
        { """{"HostConfig":{"Privileged":true}}""", "HostConfig.Privileged" },
        { """{"HostConfig":{"CapAdd":["SYS_ADMIN","MKNOD"]}}""", "HostConfig.CapAdd SYS_ADMIN" },
        { """{"HostConfig":{"CapAdd":"cap_sys_ptrace"}}""", "HostConfig.CapAdd cap_sys_ptrace" },
        { """{"HostConfig":{"CapAdd":["ALL"]}}""", "HostConfig.CapAdd ALL" },
        { """{"HostConfig":{"SecurityOpt":["seccomp=unconfined"]}}""", "SecurityOpt seccomp=unconfined" },
        { """{"HostConfig":{"SecurityOpt":["seccomp:unconfined"]}}""", "SecurityOpt seccomp:unconfined" },
        { """{"HostConfig":{"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"]}}""", "SecurityOpt seccomp=" },
        { """{"HostConfig":{"SecurityOpt":["apparmor=unconfined"]}}""", "SecurityOpt apparmor=unconfined" },
        { """{"HostConfig":{"SecurityOpt":["systempaths=unconfined"]}}""", "SecurityOpt systempaths=unconfined" },
        { """{"HostConfig":{"SecurityOpt":["label=disable"]}}""", "SecurityOpt label=disable" },
        { """{"HostConfig":{"SecurityOpt":["label=type:spc_t"]}}""", "SecurityOpt label=type:spc_t" },
        { """{"HostConfig":{"MaskedPaths":[],"ReadonlyPaths":[]}}""", "HostConfig.MaskedPaths" },
        { """{"HostConfig":{"PidMode":"host"}}""", "HostConfig.PidMode=host" },
        { """{"HostConfig":{"NetworkMode":"host"}}""", "HostConfig.NetworkMode=host" },
        { """{"HostConfig":{"IpcMode":"host"}}""", "HostConfig.IpcMode=host" },
        { """{"HostConfig":{"UTSMode":"host"}}""", "HostConfig.UTSMode=host" },
        { """{"HostConfig":{"UsernsMode":"host"}}""", "HostConfig.UsernsMode=host" },
        { """{"HostConfig":{"CgroupnsMode":"host"}}""", "HostConfig.CgroupnsMode=host" },
        { """{"HostConfig":{"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]}}""", "HostConfig.Devices" },
        { """{"HostConfig":{"DeviceRequests":[{"Count":-1,"Capabilities":[["gpu"]]}]}}""", "HostConfig.DeviceRequests" },
        { """{"HostConfig":{"DeviceCgroupRules":["c *:* rmw"]}}""", "HostConfig.DeviceCgroupRules" },
        { """{"HostConfig":{"CgroupParent":"/"}}""", "HostConfig.CgroupParent" },
        { """{"HostConfig":{"VolumeDriver":"sshfs"}}""", "HostConfig.VolumeDriver sshfs" },
        { """{"HostConfig":{"Binds":["/:/dind"]}}""", "HostConfig.Binds /:/dind" },
        { """{"HostConfig":{"Binds":["/var/lib/docker:/data:ro"]}}""", "HostConfig.Binds /var/lib/docker:/data:ro" },
        { """{"HostConfig":{"Binds":["/home/user/project:/src"]}}""", "HostConfig.Binds /home/user/project:/src" },
        { """{"HostConfig":{"Binds":["/run/dindbuild/docker.sock:/var/run/docker.sock"]}}""", "HostConfig.Binds /run/dindbuild/docker.sock" },
        { """{"HostConfig":{"Mounts":[{"Type":"bind","Source":"/proc","Target":"/host-proc"}]}}""", "HostConfig.Mounts.Type bind /proc" },
        { """{"HostConfig":{"Mounts":[{"Type":"npipe","Source":"x","Target":"/x"}]}}""", "HostConfig.Mounts.Type npipe" },
        { """{"HostConfig":{"Mounts":[{"Type":"volume","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}]}}""", "VolumeOptions.DriverConfig" },

        // Old API versions read HostConfig fields from the top level of the body, and Go matches field names without case.
        { """{"Image":"x","Privileged":true}""", "Privileged: privileged" },
        { """{"Image":"x","Binds":["/etc:/etc"]}""", "Binds /etc:/etc" },
        { """{"hostconfig":{"privileged":true}}""", "HostConfig.Privileged" },
        { """{"HostConfig":{"ſecurityOpt":["seccomp=unconfined"]}}""", "SecurityOpt seccomp=unconfined" },
        { """{"HostConfig":{"Privileged":false,"privileged":true}}""", "Privileged is given 2 times" },
        { """{"HostConfig":{"Privileged":"yes"}}""", "Privileged is not true or false" },
    };

    [Theory]
    [MemberData(nameof(RefusedCreates))]
    public async Task Container_creates_that_reach_the_host_are_refused_naming_the_rule(string body, string rule)
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/v1.45/containers/create", body));

        Assert.Contains(rule, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_item_1_attack_is_refused_with_every_rule_it_breaks()
    {
        const string Attack = """
            {"Image":"dindbuild/python:trixie","Cmd":["sh","-c","echo x > /dind/tmp/pwned"],
             "HostConfig":{"CapAdd":["SYS_ADMIN","MKNOD"],"SecurityOpt":["seccomp=unconfined","apparmor=unconfined"],
                           "Binds":["/:/dind"],"PidMode":"host"}}
            """;

        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/containers/create", Attack));

        Assert.Equal(
            "HostConfig.CapAdd SYS_ADMIN: only Docker's default capabilities are allowed; "
            + "HostConfig.SecurityOpt seccomp=unconfined: seccomp, AppArmor, SELinux and system paths stay confined; "
            + "HostConfig.SecurityOpt apparmor=unconfined: seccomp, AppArmor, SELinux and system paths stay confined; "
            + "HostConfig.PidMode=host: the host's namespaces are not allowed; "
            + "HostConfig.Binds /:/dind: host paths cannot be mounted (named volumes can)",
            refusal.Message);
        Assert.Equal(
            "DindBuild socket policy: HostConfig.PidMode=host: the host's namespaces are not allowed; relax with --socket-policy permissive",
            RequestPolicy.Message("HostConfig.PidMode=host: the host's namespaces are not allowed"));
    }

    public static TheoryData<string> AllowedCreates => new()
    {
        """{"Image":"alpine","Cmd":["true"]}""",
        """{"Image":"alpine","HostConfig":{"Privileged":false,"CapAdd":["NET_RAW","CAP_CHOWN","kill"],"CapDrop":["ALL"]}}""",
        """{"Image":"alpine","HostConfig":{"SecurityOpt":["no-new-privileges","no-new-privileges:true","seccomp=builtin","apparmor=docker-default","label=level:s0:c100,c200"]}}""",
        """{"Image":"alpine","HostConfig":{"NetworkMode":"bridge","PidMode":"","IpcMode":"private","UsernsMode":"","CgroupnsMode":"private","NetworkMode ":"host"}}""",
        """{"Image":"alpine","HostConfig":{"Binds":["cache:/cache","/anonymous"],"Mounts":[{"Type":"tmpfs","Target":"/t"},{"Type":"volume","Source":"data","Target":"/d"}]}}""",
        """{"Image":"alpine","HostConfig":{"Devices":[],"DeviceRequests":null,"CgroupParent":"","MaskedPaths":null,"VolumeDriver":"local"}}""",
    };

    [Theory]
    [MemberData(nameof(AllowedCreates))]
    public async Task Ordinary_container_creates_are_allowed(string body)
    {
        var forwarded = await InspectAsync("/containers/create", body);

        Assert.Equal(Session, forwarded["Labels"]![SessionLabels.Session]!.GetValue<string>());
    }

    [Fact]
    public async Task Labels_are_merged_with_the_tests_own_from_every_spelling_and_the_session_ones_win()
    {
        var forwarded = await InspectAsync(
            "/containers/create",
            """{"Image":"alpine","Labels":{"app":"web","org.dindbuild.session":"someone-else"},"labels":{"tier":"db","org.dindbuild.role":"sneaky"}}""");

        var labels = forwarded["Labels"]!.AsObject();
        Assert.Single(forwarded, property => property.Key.Equals("Labels", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("web", labels["app"]!.GetValue<string>());
        Assert.Equal("db", labels["tier"]!.GetValue<string>());
        Assert.Equal(Session, labels[SessionLabels.Session]!.GetValue<string>());
        Assert.Equal("test-created", labels[SessionLabels.Role]!.GetValue<string>());
        Assert.Equal("host:42:7", labels[SessionLabels.Owner]!.GetValue<string>());
        Assert.Matches("^[0-9]+$", labels[SessionLabels.Created]!.GetValue<string>());
        Assert.Equal("alpine", forwarded["Image"]!.GetValue<string>());
    }

    [Fact]
    public async Task Binds_of_the_daemon_socket_get_the_policy_socket_and_created_volumes_get_the_labels()
    {
        var forwarded = await InspectAsync(
            "/containers/create",
            """{"Image":"testcontainers/ryuk","HostConfig":{"Binds":["/var/run/docker.sock:/var/run/docker.sock:rw"],"Mounts":[{"Type":"bind","Source":"/run/docker.sock","Target":"/s"},{"Type":"volume","Target":"/v","VolumeOptions":{"Labels":{"mine":"1"}}}]}}""");

        var hostConfig = forwarded["HostConfig"]!;
        Assert.Equal($"{PolicySocket}:/var/run/docker.sock:rw", hostConfig["Binds"]![0]!.GetValue<string>());
        Assert.Equal(PolicySocket, hostConfig["Mounts"]![0]!["Source"]!.GetValue<string>());
        var volumeLabels = hostConfig["Mounts"]![1]!["VolumeOptions"]!["Labels"]!;
        Assert.Equal("1", volumeLabels["mine"]!.GetValue<string>());
        Assert.Equal(Session, volumeLabels[SessionLabels.Session]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1.45/containers/create")]
    [InlineData("/v1.24/containers/create?name=x")]
    [InlineData("/containers/create")]
    [InlineData("/containers/create/")]
    [InlineData("//containers/./create")]
    [InlineData("/v1.45/images/../containers/create")]
    [InlineData("/containers/%63reate")]
    [InlineData("/containers%2Fcreate")]
    [InlineData("/CONTAINERS/Create")]
    [InlineData("http://docker/v1.41/containers/create")]
    public void Container_create_is_recognised_in_every_spelling_the_daemon_routes(string target)
    {
        Assert.Equal(Inspection.ContainerCreate, ApiRoute.Classify("POST", target).Inspection);
    }

    [Theory]
    [InlineData("POST", "/v1.45/containers/abc/start", "ContainerStart")]
    [InlineData("POST", "/containers/abc/update", "ContainerUpdate")]
    [InlineData("POST", "/containers/abc/exec", "ExecCreate")]
    [InlineData("POST", "/v1.45/volumes/create", "VolumeCreate")]
    [InlineData("POST", "/networks/create", "NetworkCreate")]
    [InlineData("POST", "/build?t=x", "Build")]
    [InlineData("POST", "/v1.45/plugins/pull?remote=evil", "Refused")]
    [InlineData("POST", "/swarm/join", "Refused")]
    [InlineData("POST", "/services/create", "Refused")]
    [InlineData("DELETE", "/nodes/abc", "Refused")]
    [InlineData("GET", "/plugins", "None")]
    [InlineData("GET", "/containers/create", "None")]
    [InlineData("POST", "/containers/abc/attach?stream=1", "None")]
    [InlineData("POST", "/exec/abc/start", "None")]
    [InlineData("GET", "/v1.45/info", "None")]
    public void Each_endpoint_gets_its_inspection(string method, string target, string expected)
    {
        Assert.Equal(expected, ApiRoute.Classify(method, target).Inspection.ToString());
    }

    [Theory]
    [InlineData("""{"Privileged":true,"Cmd":["sh"]}""", "exec Privileged")]
    [InlineData("""{"privileged":true}""", "exec Privileged")]
    public async Task Privileged_execs_are_refused(string body, string rule)
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/containers/abc/exec", body));
        Assert.Contains(rule, refusal.Message, StringComparison.Ordinal);

        var allowed = await InspectAsync("/containers/abc/exec", """{"Privileged":false,"Cmd":["sh"],"User":"root"}""");
        Assert.Equal("root", allowed["User"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"Devices":[{"PathOnHost":"/dev/mem"}]}""", "Devices")]
    [InlineData("""{"DeviceCgroupRules":["a *:* rwm"]}""", "DeviceCgroupRules")]
    [InlineData("""{"CgroupParent":"/system.slice"}""", "CgroupParent")]
    public async Task Updates_that_add_devices_or_move_cgroups_are_refused(string body, string rule)
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/containers/abc/update", body));
        Assert.Contains(rule, refusal.Message, StringComparison.Ordinal);

        await InspectAsync("/containers/abc/update", """{"Memory":314572800,"RestartPolicy":{"Name":"no"}}""");
    }

    [Fact]
    public async Task A_start_body_is_read_as_a_HostConfig_and_an_empty_one_passes()
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/v1.23/containers/abc/start", """{"Binds":["/:/host"],"Privileged":true}"""));
        Assert.Contains("Privileged", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("Binds /:/host", refusal.Message, StringComparison.Ordinal);

        var route = ApiRoute.Classify("POST", "/containers/abc/start");
        Assert.Equal("{}", Encoding.UTF8.GetString(await Policy.InspectAsync(route, "{}"u8.ToArray(), Cancel)));
    }

    [Fact]
    public async Task Volumes_get_the_labels_unless_they_exist_and_driver_options_are_refused()
    {
        _daemon.Add("volumes", "hosts-own", ours: false);

        var created = await InspectAsync("/volumes/create", """{"Name":"fresh","Labels":{"mine":"1"}}""");
        var existing = await InspectAsync("/volumes/create", """{"Name":"hosts-own"}""");
        var anonymous = await InspectAsync("/volumes/create", "{}");
        var bindRoot = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/volumes/create", """{"Name":"x","DriverOpts":{"type":"none","o":"bind","device":"/"}}"""));
        var plugin = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/volumes/create", """{"Name":"x","Driver":"rexray"}"""));

        Assert.Equal(Session, created["Labels"]![SessionLabels.Session]!.GetValue<string>());
        Assert.Equal("1", created["Labels"]!["mine"]!.GetValue<string>());
        Assert.Null(existing["Labels"]);
        Assert.Equal(Session, anonymous["Labels"]![SessionLabels.Session]!.GetValue<string>());
        Assert.Contains("DriverOpts", bindRoot.Message, StringComparison.Ordinal);
        Assert.Contains("Driver rexray", plugin.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Networks_get_the_labels()
    {
        var forwarded = await InspectAsync("/networks/create", """{"Name":"net","Driver":"bridge","Labels":{"mine":"1"}}""");

        Assert.Equal(Session, forwarded["Labels"]![SessionLabels.Session]!.GetValue<string>());
        Assert.Equal("1", forwarded["Labels"]!["mine"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"Image":"x"} {"HostConfig":{"Privileged":true}}""")]
    [InlineData("""{"Image":"x","Image":"y"}""")]
    [InlineData("""{"HostConfig":{"Binds":"/:/x"}}""")]
    [InlineData("""{"Labels":["a"]}""")]
    [InlineData("""{"Labels":{"a":1}}""")]
    public async Task Malformed_or_ambiguous_bodies_are_refused(string body)
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => InspectAsync("/containers/create", body));

        Assert.False(string.IsNullOrWhiteSpace(refusal.Message));
    }

    [Theory]
    [InlineData("/build?t=x&networkmode=host", "networkmode=host")]
    [InlineData("/build?networkmode=HOST", "networkmode=host")]
    [InlineData("/build?networkmode=container:abc", "networkmode=container:abc")]
    [InlineData("/build?NetworkMode=host", "networkmode=host")]
    [InlineData("/build?cgroupparent=%2F", "cgroupparent")]
    [InlineData("/build?remote=http%3A%2F%2F169.254.169.254%2F", "remote=http://169.254.169.254/")]
    [InlineData("/build?remote=git%40github.com%3Ax%2Fy", "remote=git@github.com:x/y")]
    public async Task Builds_that_reach_the_host_are_refused(string target, string rule)
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => CheckHeadAsync("POST", target));
        Assert.Contains(rule, refusal.Message, StringComparison.Ordinal);

        await CheckHeadAsync("POST", "/build?t=x&networkmode=bridge&extrahosts=%5B%22db%3A10.0.0.2%22%5D", "Content-Type: application/x-tar");
        await CheckHeadAsync("POST", "/build?version=2&remote=client-session&session=abc&networkmode=none");
        await Assert.ThrowsAsync<PolicyRefusedException>(() => CheckHeadAsync("POST", "/build", "Content-Type: application/x-www-form-urlencoded"));
    }

    [Fact]
    public async Task Builds_get_the_session_labels_beside_the_tests_own()
    {
        var target = await CheckHeadAsync("POST", "/v1.41/build?t=x&labels=%7B%22mine%22%3A%221%22%7D&Labels=ignored");

        var query = target!.Split('?', 2)[1];
        Assert.StartsWith("/v1.41/build?", target, StringComparison.Ordinal);
        var labels = JsonNode.Parse(QueryRewrite.GoValue(query, "labels")!)!;
        Assert.Equal("1", labels["mine"]!.GetValue<string>());
        Assert.Equal(Session, labels[SessionLabels.Session]!.GetValue<string>());
        Assert.Equal("x", QueryRewrite.GoValue(query, "t"));
        Assert.Null(QueryRewrite.GoValue(query, "Labels"));
    }

    [Theory]
    [InlineData("POST", "/grpc", "BuildKit /grpc")]
    [InlineData("POST", "/v1.45/grpc", "BuildKit /grpc")]
    [InlineData("POST", "/containers/abc/stop", "with a application/x-www-form-urlencoded body")]
    public async Task BuildKits_controller_and_form_bodies_are_refused_and_its_session_allowed(string method, string target, string rule)
    {
        var refusal = await Assert.ThrowsAsync<PolicyRefusedException>(() => CheckHeadAsync(method, target, "Content-Type: application/x-www-form-urlencoded"));
        Assert.Contains(rule, refusal.Message, StringComparison.Ordinal);

        Assert.Equal(Inspection.None, ApiRoute.Classify("POST", "/v1.45/session").Inspection);
        Assert.Null(await CheckHeadAsync("POST", "/session", "Upgrade: h2c"));
    }

    [Fact]
    public void Only_Dockers_default_capabilities_count_as_default()
    {
        Assert.All(new[] { "CHOWN", "cap_chown", "Net_Raw", "MKNOD", "AUDIT_WRITE" }, cap => Assert.True(ContainerRules.IsDefaultCapability(cap), cap));
        Assert.All(new[] { "SYS_ADMIN", "NET_ADMIN", "ALL", "SYS_PTRACE", "DAC_READ_SEARCH", "BPF", "nonsense" }, cap => Assert.False(ContainerRules.IsDefaultCapability(cap), cap));
    }

    private Task<string?> CheckHeadAsync(string method, string target, string header = "Content-Type: application/json") => Policy.CheckHeadAsync(method, target, header);

    private Task<JsonObject> InspectAsync(string target, string body) => Policy.InspectAsync(target, body);
}
