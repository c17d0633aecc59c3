using DindBuild.Compose;
using DindBuild.Diagnostics;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>--compose-file, --compose-profile and --compose-service: read, checked early, and what compose reports read back.</summary>
public sealed class ComposeValidationTests : IDisposable
{
    private readonly TempDirectory _repository = new();

    private readonly FakeSessionHost _host = new();

    public ComposeValidationTests()
    {
        Directory.CreateDirectory(_repository.Combine("stack"));
        File.WriteAllText(_repository.Combine("stack", "compose.yml"), "services: {}\n");
        File.WriteAllText(_repository.Combine("stack", "compose.failing.yml"), "services: {}\n");
    }

    public void Dispose()
    {
        _repository.Dispose();
        _host.Dispose();
    }

    private DindSettings Read(Dictionary<string, string[]> commandLine) =>
        DindParameters.Read(_repository.Path, name => commandLine.TryGetValue(name, out var values) ? values : [], _ => null);

    [Fact]
    public void Compose_files_are_repeatable_and_relative_to_the_repository_root_and_the_test_service_defaults_to_tests()
    {
        var settings = Read(new() { ["compose-file"] = ["stack/compose.yml", "stack/compose.failing.yml"], ["compose-profile"] = ["debug"] });

        Assert.Equal([_repository.Combine("stack", "compose.yml"), _repository.Combine("stack", "compose.failing.yml")], settings.Compose.Files);
        Assert.Equal(["debug"], settings.Compose.Profiles);
        Assert.Equal("tests", settings.Compose.TestService);
        Assert.True(settings.Compose.Enabled);
        Assert.False(new DindSettings(_repository.Path).Compose.Enabled);
    }

    [Fact]
    public void A_missing_compose_file_is_refused_before_any_daemon_naming_the_compose_files_beside_it()
    {
        var settings = Read(new() { ["compose-file"] = ["stack/compose.yaml"], ["context"] = ["stack"] });
        File.WriteAllText(_repository.Combine("stack", "Dockerfile"), "FROM scratch\n");

        var failure = Assert.Throws<DindBuildException>(() => InputChecks.ThrowIfInvalid(settings, InputCheckScope.Build));

        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Contains($"The compose file {_repository.Combine("stack", "compose.yaml")} does not exist", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("compose.failing.yml, compose.yml", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--compose-file stack/compose.yml", failure.HowToFix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_test_service_not_in_the_stack_lists_the_services_found_and_the_nearest_name()
    {
        var model = new ComposeModel("p", [new("app"), new("redis"), new("test")]);

        var failure = Assert.Throws<DindBuildException>(() => ComposeStack.RequireTestService(model, new ComposeOptions { Files = ["/r/compose.yml"] }));

        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Contains("'tests' is not in the stack", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("app, redis, test", failure.Evidence, StringComparison.Ordinal);
        Assert.Contains("--compose-service test", failure.HowToFix, StringComparison.Ordinal);
        ComposeStack.RequireTestService(model, new ComposeOptions { Files = ["/r/compose.yml"], TestService = "app" });
    }

    [Theory]
    [InlineData(DockerMode.Dood)]
    [InlineData(DockerMode.External)]
    public async Task Outside_dind_a_stack_is_refused_with_exit_2_before_any_engine_is_asked(DockerMode mode)
    {
        _host.Environment["DOCKER_HOST"] = "tcp://external:2376";
        var options = _host.Options(mode) with { Compose = new ComposeOptions { Files = ["/r/compose.yml"] } };
        await using var session = Sessions.DindSession.Create(options, Serilog.Core.Logger.None, _host.Services());

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => session.StartDaemonAsync(TestContext.Current.CancellationToken));

        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Contains("--compose-file needs --docker-mode dind", failure.WhatFailed, StringComparison.Ordinal);
        Assert.Contains("/r/compose.yml", failure.Evidence, StringComparison.Ordinal);
        Assert.Empty(_host.Engines.Calls);
        Assert.False(session.IsOpen);
    }

    [Fact]
    public void Compose_ps_output_is_read_as_json_lines_or_one_array_and_failures_are_told_apart()
    {
        var lines = new[]
        {
            """{"ID":"c1","Service":"redis","Image":"dindbuild/redis:trixie","State":"running","Health":"unhealthy","ExitCode":0}""",
            """{"ID":"c2","Service":"tests","Image":"p-tests","State":"exited","Health":"","ExitCode":3}""",
            "WARN[0000] not json",
            """[{"ID":"c3","Service":"app","Image":"p-app","State":"running","Health":"healthy","ExitCode":0},{"ID":"c4","Service":"once","State":"exited","ExitCode":0}]""",
        };

        var states = ComposeServiceState.ParseAll(lines);

        Assert.Equal(["redis", "tests", "app", "once"], states.Select(state => state.Service));
        Assert.Equal([true, true, false, false], states.Select(state => state.Failed));
        Assert.Equal(3, states[1].ExitCode);
        Assert.Equal("c3", states[2].ContainerId);
    }

    [Fact]
    public void Each_compose_files_directory_is_copied_once_and_bind_sources_outside_them_are_found()
    {
        var copied = ComposeDirectories.ToCopy(["/r/stack/compose.yml", "/r/stack/ci/compose.ci.yml", "/r/other/compose.yml", "/r/stack/compose.more.yml"]);
        var model = new ComposeModel("p", [new("a") { BindSources = ["/r/stack/data", "/etc/passwd", "/var/run/docker.sock"] }, new("b") { BindSources = ["/r/other", "/r/stacked"] }]);

        Assert.Equal([("/r/stack", "/r/stack/compose.yml"), ("/r/other", "/r/other/compose.yml")], copied);
        Assert.Equal(["/etc/passwd", "/r/stacked"], ComposeDirectories.BindSourcesOutside(model, ["/r/stack/compose.yml", "/r/other/compose.yml"]));
    }
}
