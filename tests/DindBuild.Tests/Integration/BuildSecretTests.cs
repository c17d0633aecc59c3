using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// --build-secret through ./build.sh against real daemons in the three modes: a RUN step sees each secret (it writes
/// the value's sha256, which the test compares), and the value is nowhere else — not in the console output, not in
/// the artifacts directory's reports, and (where the image outlives the run) not in any layer of <c>docker save</c>
/// nor in <c>docker history --no-trunc</c>. One step even prints the secret: the log must show it masked.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class BuildSecretTests(EngineFixture engine)
{
    private const string Dockerfile = """
        FROM dindbuild/python:trixie
        RUN --mount=type=secret,id=token,required=true sha256sum /run/secrets/token | cut -d' ' -f1 > /proof-token
        RUN --mount=type=secret,id=feed,required=true sha256sum /run/secrets/feed | cut -d' ' -f1 > /proof-feed
        RUN --mount=type=secret,id=token echo "printed: $(cat /run/secrets/token)"
        RUN test ! -e /run/secrets/token && echo no-secret-outside-the-mount > /proof-outside
        """;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dind_a_RUN_step_sees_env_and_file_secrets_which_stay_out_of_the_output_and_the_reports()
    {
        engine.RequireEngine();
        using var build = new SecretBuild();
        var run = await BuildScript.RunAsync([.. build.Arguments("dind")], environment: build.Environment);

        await build.AssertSeenAndHiddenAsync(run);
        Assert.Contains(run.Lines, line => line.Contains("Builder: BuildKit (auto: the session daemon, Docker 26.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dood_on_Docker_20_10_the_secrets_reach_the_step_and_no_layer_or_history_entry_of_the_image_holds_them()
    {
        engine.RequireEngine();
        using var build = new SecretBuild();
        try
        {
            var run = await BuildScript.RunAsync([.. build.Arguments("dood")], environment: build.Environment);

            await build.AssertSeenAndHiddenAsync(run);
            await build.AssertImageCleanAsync(host: null);
        }
        finally
        {
            await DockerCli.RunAsync(["image", "rm", "-f", build.Tag]);
        }
    }

    [Fact]
    public async Task External_the_secrets_reach_the_step_and_no_layer_or_history_entry_of_the_image_holds_them()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        var (externalHost, _) = await ExternalDaemon.StartAsync(harness);
        using var build = new SecretBuild();
        var environment = new Dictionary<string, string?>(build.Environment) { ["DOCKER_HOST"] = externalHost };

        var run = await BuildScript.RunAsync([.. build.Arguments("external")], environment: environment);

        await build.AssertSeenAndHiddenAsync(run);
        await build.AssertImageCleanAsync(externalHost);
    }

    [Fact]
    public async Task A_required_secret_the_run_does_not_give_fails_the_build_naming_the_id_and_the_fix()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), "FROM dindbuild/python:trixie\nRUN --mount=type=secret,id=absent,required=true cat /run/secrets/absent\n", Cancel);
        await File.WriteAllTextAsync(context.Combine("given.txt"), "given-value-" + Guid.NewGuid().ToString("N"), Cancel);
        var session = BuildScript.NewSessionId();

        var run = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--context", context.Path, "--session-id", session, "--build-secret", $"id=given,src={context.Combine("given.txt")}"]);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains(run.Lines, line => line.Contains($"{context.Combine("Dockerfile")}:2", StringComparison.Ordinal) && line.Contains("secret absent", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("How to fix: give the build that secret — '--build-secret id=absent,env=VAR'", StringComparison.Ordinal));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));

        // Without any --build-secret no session is opened: BuildKit's error differs, the fix is the same.
        var bare = await BuildScript.RunAsync(["DindTest", "--docker-mode", "dood", "--context", context.Path, "--session-id", session]);

        Assert.Equal(4, bare.ExitCode);
        Assert.Contains(bare.Lines, line => line.Contains($"{context.Combine("Dockerfile")}:2", StringComparison.Ordinal));
        Assert.Contains(bare.Lines, line => line.Contains("--build-secret id=", StringComparison.Ordinal));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task Bad_secret_parameters_fail_before_any_daemon_starts()
    {
        engine.RequireEngine();
        var session = BuildScript.NewSessionId();
        var variable = "DINDBUILD_TEST_UNSET_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

        var run = await BuildScript.RunAsync(["DindTest", "--session-id", session, "--build-secret", $"id=a,env={variable}", "--build-secret", "id=b,src=/nonexistent/secret.txt", "--builder", "classic"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(run.Lines, line => line.Contains($"the environment variable {variable} is not set", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("the file /nonexistent/secret.txt does not exist", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.Contains("--builder classic cannot pass build secrets", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Lines, line => line.Contains("StartDaemon", StringComparison.Ordinal) && line.Contains("done", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(await DockerCli.LabelledResourcesAsync(session));
    }

    [Fact]
    public async Task The_session_answers_the_daemons_health_checks_through_a_long_step_and_is_asked_only_for_the_mounted_ids()
    {
        engine.RequireEngine();
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"FROM dindbuild/python:trixie\nRUN --mount=type=secret,id=used,required=true echo {Guid.NewGuid():N} && sleep 12 && test -s /run/secrets/used\n", Cancel);
        var tag = $"dindbuild-test-session:{Guid.NewGuid():N}"[..40];
        var messages = new List<DindBuild.Docker.ProgressMessage>();
        var endpoint = DindBuild.Docker.DockerEndpoint.DefaultUnixSocket;
        var session = await DindBuild.ImageBuild.Session.BuildSession.OpenAsync(endpoint, [new("used", "u-value"u8.ToArray()), new("unused", "x-value"u8.ToArray())], Cancel);
        try
        {
            await using (session)
            {
                using var tar = new MemoryStream();
                await DindBuild.ImageBuild.BuildContextArchive.WriteAsync(context.Path, "Dockerfile", tar, Cancel);
                tar.Position = 0;
                var spec = new DindBuild.Docker.ImageBuildSpec(tag, "Dockerfile") { Builder = DindBuild.Docker.BuilderKind.BuildKit };
                await DindBuild.ImageBuild.Session.SessionBuildRequest.SendAsync(endpoint, spec, session.Id, tar, messages.Add, Cancel);
            }

            Assert.DoesNotContain(messages, message => message.Error is not null);
            Assert.Equal(["used"], session.Services.SecretsAsked);
            Assert.True(session.Services.HealthChecks >= 1, $"{session.Services.HealthChecks} health checks during a 12 s step");
            Assert.Null(session.Failure);
            Assert.Empty(session.Services.OtherMethods);
            TestContext.Current.TestOutputHelper?.WriteLine($"session opened in {session.OpenTime.TotalMilliseconds:0.0} ms; {session.Services.HealthChecks} health checks in the build");
        }
        finally
        {
            await DockerCli.RunAsync(["image", "rm", "-f", tag]);
        }
    }

    /// <summary>One build's context, secrets (an env= one and a src= one, random values) and artifacts directory.</summary>
    private sealed class SecretBuild : IDisposable
    {
        private readonly TempDirectory _context = new();
        private readonly TempDirectory _artifacts = new();
        private readonly TempDirectory _secrets = new();
        private readonly string _variable = "DINDBUILD_TEST_TOKEN_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

        public SecretBuild()
        {
            // A first step of this instance's own: a secret is not part of BuildKit's cache key, so on an engine that
            // built this Dockerfile before (the host's, in dood, across runs) the steps would be cached with that run's secrets.
            File.WriteAllText(_context.Combine("Dockerfile"), Dockerfile.Replace("FROM dindbuild/python:trixie\n", $"FROM dindbuild/python:trixie\nRUN echo {Session} > /nonce\n", StringComparison.Ordinal));
            File.WriteAllText(_secrets.Combine("feed.txt"), Feed);
        }

        public string Token { get; } = "tok-" + Guid.NewGuid().ToString("N");

        public string Feed { get; } = "feed-" + Guid.NewGuid().ToString("N");

        public string Session { get; } = BuildScript.NewSessionId();

        public string Tag => $"dindbuild-test-secrets:{Session}";

        public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { [_variable] = Token };

        public IEnumerable<string> Arguments(string mode) =>
        [
            "DindTest", "--docker-mode", mode, "--context", _context.Path, "--session-id", Session, "--image-tag", Tag,
            "--artifacts-dir", _artifacts.Path, "--test-report", "optional",
            "--build-secret", $"id=token,env={_variable}", "--build-secret", $"id=feed,src={_secrets.Combine("feed.txt")}",
            "--test-command", "cat /proof-token /proof-feed /proof-outside > /artifacts/proof.txt",
        ];

        public async Task AssertSeenAndHiddenAsync(BuildScriptResult run)
        {
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Equal([Sha256(Token), Sha256(Feed), "no-secret-outside-the-mount"], await File.ReadAllLinesAsync(_artifacts.Combine("proof.txt"), Cancel));

            // The step that printed the secret ran, and its line shows the mask instead.
            Assert.Contains(run.Lines, line => line.Contains("printed: ***", StringComparison.Ordinal));
            Assert.DoesNotContain(Token, run.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(Feed, run.Output, StringComparison.Ordinal);
            var reports = Directory.EnumerateFiles(_artifacts.Path, "*", SearchOption.AllDirectories).ToList();
            Assert.Contains(reports, file => file.EndsWith("dindbuild-report.md", StringComparison.Ordinal));
            foreach (var file in reports)
            {
                var text = await File.ReadAllTextAsync(file, Cancel);
                Assert.False(text.Contains(Token, StringComparison.Ordinal) || text.Contains(Feed, StringComparison.Ordinal), $"{file} holds a secret's value");
            }

            Assert.Empty(await DockerCli.LabelledResourcesAsync(Session));
        }

        /// <summary>Every entry of <c>docker save</c> and of each layer tar in it, and the image's history, are free of both values.</summary>
        public async Task AssertImageCleanAsync(string? host)
        {
            using var saved = new TempDirectory();
            var save = await DockerCli.RunAsync(["save", "-o", saved.Combine("image.tar"), Tag], host);
            Assert.True(save.ExitCode == 0, save.StandardError);
            var contents = new List<byte[]>();
            await using (var archive = File.OpenRead(saved.Combine("image.tar")))
            {
                await CollectAsync(archive, contents, depth: 0);
            }

            // A positive control: the proof files the steps wrote are among what was searched.
            Assert.Contains(contents, bytes => Encoding.ASCII.GetString(bytes).Contains(Sha256(Token), StringComparison.Ordinal));
            foreach (var secret in new[] { Token, Feed })
            {
                var needle = Encoding.UTF8.GetBytes(secret);
                Assert.DoesNotContain(contents, bytes => bytes.AsSpan().IndexOf(needle) >= 0);
            }

            var history = await DockerCli.OutputAsync(["history", "--no-trunc", "--format", "{{.CreatedBy}}", Tag], host);
            Assert.Contains("/run/secrets/token", history, StringComparison.Ordinal);
            Assert.DoesNotContain(Token, history, StringComparison.Ordinal);
            Assert.DoesNotContain(Feed, history, StringComparison.Ordinal);
        }

        public void Dispose()
        {
            _context.Dispose();
            _artifacts.Dispose();
            _secrets.Dispose();
        }

        private static async Task CollectAsync(Stream tar, List<byte[]> contents, int depth)
        {
            await using var reader = new TarReader(tar, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, Cancel) is { } entry)
            {
                if (entry.DataStream is null)
                {
                    continue;
                }

                using var data = new MemoryStream();
                await entry.DataStream.CopyToAsync(data, Cancel);
                var bytes = data.ToArray();
                contents.Add(bytes);
                if (depth == 0 && (entry.Name.EndsWith(".tar", StringComparison.Ordinal) || entry.Name.StartsWith("blobs/", StringComparison.Ordinal)) && IsTar(bytes))
                {
                    using var layer = new MemoryStream(bytes);
                    await CollectAsync(layer, contents, depth + 1);
                }
            }
        }

        private static bool IsTar(byte[] bytes) => bytes.Length >= 512 && Encoding.ASCII.GetString(bytes, 257, 5) == "ustar";
    }

    private static string Sha256(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
