using DindBuild.Compose;
using DindBuild.Docker;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// Issue 16 item 4: every service's output in the log. Found under load: a follow request answered after the test
/// service ended was cut before it delivered anything, so the app's whole output was missing from the log.
/// </summary>
public sealed class StackLogsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Each_line_of_each_service_is_delivered_once_also_when_its_follow_was_cut_before_delivering_it(int? followed)
    {
        using var engine = new FakeEngine(DockerEndpoint.UnixSocket("/fake/docker.sock")) { FollowedLines = followed };
        engine.Logs["c-app"] = ["listening on :8000", "GET /health", "GET /hits"];
        engine.Logs["c-tests"] = ["3 passed"];
        ComposeServiceState[] states =
        [
            new("app", "c-app", "p-app", "running", 0, "healthy"),
            new("tests", "c-tests", "p-tests", "exited", 0, ""),
            new("never", "", "p-never", "created", 0, ""),
        ];
        var lines = new List<string>();

        var logs = StackLogs.Follow(engine, states, (state, line) => lines.Add($"{state.Service} │ {line}"), TestContext.Current.CancellationToken);
        await logs.StopAsync("c-tests", TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.Equal(["app │ listening on :8000", "app │ GET /health", "app │ GET /hits"], lines.Where(line => line.StartsWith("app", StringComparison.Ordinal)));
        Assert.Equal(["tests │ 3 passed"], lines.Where(line => line.StartsWith("tests", StringComparison.Ordinal)));
        Assert.Equal(4, lines.Count);
    }
}
