using DindBuild.Compose;
using DindBuild.Diagnostics;
using DindBuild.Docker;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>
/// How the stack is put into the DinD container before compose reads it: staged outside /tmp (the entry script's tmpfs
/// there hides what the archive API writes), then copied in the container to the same absolute path as on the host.
/// </summary>
public sealed class ComposeStackPrepareTests : IDisposable
{
    private readonly TempDirectory _project = new();

    private readonly FakeEngine _host = new(DockerEndpoint.UnixSocket("/fake/host.sock"));

    public ComposeStackPrepareTests()
    {
        File.WriteAllText(_project.Combine("compose.yml"), "services: {}\n");
        _host.AddContainer("dindbuild-s1", "s1");
    }

    public void Dispose()
    {
        _host.Dispose();
        _project.Dispose();
    }

    private ComposeStack Stack => new(new DindComposeHost(_host, _host.ContainerList[0].Id, Serilog.Core.Logger.None), new ComposeOptions { Files = [_project.Combine("compose.yml")], Profiles = ["ci"] }, "s1", Serilog.Core.Logger.None);

    [Fact]
    public async Task The_project_is_staged_outside_tmp_copied_to_its_own_path_then_compose_is_asked_and_the_override_written()
    {
        _host.OnExec = command => command is ["docker", "compose", .., "config", "--format", "json"]
            ? (0, ["""{"name":"dindbuild-s1","services":{"tests":{"image":"dindbuild/python:trixie"}}}"""])
            : (0, []);

        var model = await Stack.PrepareAsync([], "owner", "/artifacts", TestContext.Current.CancellationToken);

        Assert.Equal(["tests"], model.Services.Select(service => service.Name));
        var calls = _host.Calls.Where(call => call.Operation is "container.exec" or "container.putarchive").Select(call => call.Target).ToList();
        var stagedUpload = calls.FindIndex(call => call.EndsWith(":" + DindComposeHost.StagingDirectory + "/0", StringComparison.Ordinal));
        var copy = calls.FindIndex(call => call.Contains($"cp -a '{DindComposeHost.StagingDirectory}/0/.' '{_project.Path}'/", StringComparison.Ordinal));
        var config = calls.FindIndex(call => call.Contains($"-p dindbuild-s1 -f {_project.Combine("compose.yml")} --profile ci config --format json", StringComparison.Ordinal));
        var overrideUpload = calls.FindIndex(call => call.EndsWith(":" + DindComposeHost.StagingDirectory, StringComparison.Ordinal));
        Assert.True(stagedUpload >= 0 && copy > stagedUpload && config > copy && overrideUpload > config, string.Join('\n', calls));
        Assert.DoesNotContain(calls, call => call.Contains(":/tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Compose_refusing_the_files_is_an_error_with_its_own_words()
    {
        _host.OnExec = command => command is ["docker", "compose", .., "config", "--format", "json"] ? (15, []) : (0, []);

        var failure = await Assert.ThrowsAsync<DindBuildException>(() => Stack.PrepareAsync([], "owner", "/artifacts", TestContext.Current.CancellationToken));

        Assert.Equal(ExitCodes.BadParameters, ExitCodes.For(failure));
        Assert.Contains("could not read the compose files (exit code 15)", failure.WhatFailed, StringComparison.Ordinal);
    }
}
