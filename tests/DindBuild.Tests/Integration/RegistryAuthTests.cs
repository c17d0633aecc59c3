using System.Text;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// <c>./build.sh DindTest --publish</c> against a real registry with TLS from a test CA and htpasswd basic auth, as a
/// user runs it: good credentials from a credentials file push an image the docker CLI pulls back with its own login;
/// wrong ones from <c>DOCKER_AUTH_CONFIG</c> exit 6 with what failed, the registry's answer and the fix, and neither
/// the password nor the base64 <c>auth</c> shows in the console output or in any file under the artifacts directory.
/// </summary>
[Collection(EngineCollection.Isolated)]
public sealed class RegistryAuthTests(EngineFixture engine)
{
    private const string RegistryName = "registry.test";
    private const string User = "ci-pusher";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Good_credentials_from_a_credentials_file_push_an_image_the_docker_CLI_pulls_back()
    {
        engine.RequireEngine();
        var password = "pw-" + Guid.NewGuid().ToString("N");
        await using var harness = new Harness();
        using var files = new TempDirectory();
        var (registry, published) = await TestRegistry.StartAsync(harness, RegistryName, files.Combine("ca.pem"), (User, password));
        await File.WriteAllTextAsync(files.Combine("config.json"), AuthConfig(User, password), Cancel);
        var sessionId = BuildScript.NewSessionId();
        var reference = $"{RegistryName}:{TestRegistry.Port}/team/app:{harness.Id}";

        var run = BuildScript.RunAsync([.. RunArguments(files, sessionId, reference), "--docker-auth-config", files.Combine("config.json")]);
        await TestRegistry.JoinSessionNetworkAsync(registry, sessionId, RegistryName, run);
        var result = await run;

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains(result.Lines, line => line.Contains($"as {User} for {RegistryName}:{TestRegistry.Port}", StringComparison.Ordinal));
        var digest = System.Text.RegularExpressions.Regex.Match(result.Output, $@"Pushed {System.Text.RegularExpressions.Regex.Escape(reference)} in .* digest (sha256:[0-9a-f]{{64}})").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(digest), result.Output);
        AssertNowhere(password, result, files.Combine("artifacts"));

        // The docker CLI, with a config of its own holding the login, pulls exactly that manifest back; anonymously it is refused.
        var pullBack = $"{published}/team/app@{digest}";
        Assert.NotEqual(0, (await DockerCli.RunAsync(["pull", pullBack])).ExitCode);
        var cliConfig = Directory.CreateDirectory(files.Combine("docker-cli")).FullName;
        await File.WriteAllTextAsync(Path.Combine(cliConfig, "config.json"), AuthConfig(User, password, published), Cancel);
        var pulled = await DockerCli.RunAsync(["--config", cliConfig, "pull", pullBack]);
        harness.RemoveImageAfterwards(pullBack);
        Assert.True(pulled.ExitCode == 0, pulled.StandardError);
        Assert.Contains(sessionId, await DockerCli.OutputAsync(["run", "--rm", pullBack, "cat", "/built.txt"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_from_DOCKER_AUTH_CONFIG_exit_6_with_the_registrys_answer_and_the_secret_nowhere()
    {
        engine.RequireEngine();
        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        await using var harness = new Harness();
        using var files = new TempDirectory();
        var (registry, _) = await TestRegistry.StartAsync(harness, RegistryName, files.Combine("ca.pem"), (User, "pw-" + Guid.NewGuid().ToString("N")));
        var sessionId = BuildScript.NewSessionId();
        var reference = $"{RegistryName}:{TestRegistry.Port}/team/app:{harness.Id}";

        var run = BuildScript.RunAsync(RunArguments(files, sessionId, reference), environment: new Dictionary<string, string?> { ["DOCKER_AUTH_CONFIG"] = AuthConfig(User, wrong) });
        await TestRegistry.JoinSessionNetworkAsync(registry, sessionId, RegistryName, run);
        var result = await run;

        Assert.True(result.ExitCode == 6, result.Output);
        Assert.Contains(result.Lines, line => line.Contains($"pushing {reference} to {RegistryName}:{TestRegistry.Port} failed: the registry refused the credentials", StringComparison.Ordinal));
        Assert.Contains("unauthorized", result.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("the ones given were refused", result.Output, StringComparison.Ordinal);
        AssertNowhere(wrong, result, files.Combine("artifacts"));

        // The run's own log and report are among the files checked: the report holds the failed push, not the secret.
        Assert.True(File.Exists(files.Combine("artifacts/dindbuild-log.jsonl")));
        Assert.Contains("unauthorized", File.ReadAllText(files.Combine("artifacts/dindbuild-report.html")), StringComparison.OrdinalIgnoreCase);
    }

    private static string[] RunArguments(TempDirectory files, string sessionId, string reference)
    {
        var context = Directory.CreateDirectory(files.Combine("context")).FullName;
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM dindbuild/python:trixie\nRUN echo {sessionId} > /built.txt\n");
        return
        [
            "DindTest", "--docker-mode", "dind", "--session-id", sessionId, "--context", context,
            "--image-tag", $"dindbuild-auth-{sessionId}:latest", "--test-command", "true", "--test-report", "optional",
            "--artifacts-dir", files.Combine("artifacts"), "--extra-ca-cert", files.Combine("ca.pem"), "--publish", reference,
        ];
    }

    private static string AuthConfig(string user, string password, string? registry = null) =>
        System.Text.Json.JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [registry ?? $"{RegistryName}:{TestRegistry.Port}"] = new { auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")) } } });

    /// <summary>The password and the base64 auth, in the console output and in every file the run left in the artifacts directory.</summary>
    private static void AssertNowhere(string password, BuildScriptResult result, string artifacts)
    {
        string[] secrets = [password, Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{password}"))];
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, result.Output, StringComparison.Ordinal);
        }

        var written = Directory.EnumerateFiles(artifacts, "*", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(written);
        foreach (var file in written)
        {
            var text = File.ReadAllText(file);
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{file} holds a secret");
            }
        }
    }
}
