using System.Globalization;
using DindBuild.Sessions;
using DindBuild.Settings;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Integration;

/// <summary>
/// Reap and seed snapshots on the real host engine, checked with the docker CLI: a half-made snapshot (no marker, as a
/// killed maker leaves it) that nothing mounts is removed; one a running container mounts stays although it is
/// half-made too, and so does a complete one (no age limit asked). Reap runs here, so not in the isolated lane.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class SeedSnapshotReapTests(EngineFixture engine)
{
    private const string DindImage = "dindbuild/dind:trixie";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reap_removes_an_unused_half_made_snapshot_and_keeps_one_in_use_and_a_complete_one()
    {
        engine.RequireEngine();
        await using var harness = new Harness();
        var unused = $"dindbuild-seed-{harness.Id}-unused";
        var mounted = $"dindbuild-seed-{harness.Id}-mounted";
        var complete = $"dindbuild-seed-{harness.Id}-complete";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        try
        {
            await DockerCli.OutputAsync(["volume", "create", "--label", "org.dindbuild.cache=seed-snapshot", "--label", $"{SessionLabels.Created}={created}", unused]);

            // The other two are made by the container that mounts them (--mount … volume-label): a volume created apart
            // would look half-made, with no one using it, to another test's StartDaemon until it is mounted or marked.
            string Snapshot(string volume, string target) =>
                $"type=volume,src={volume},dst={target},volume-label=org.dindbuild.cache=seed-snapshot,volume-label={SessionLabels.Created}={created}";

            // The marker the maker writes last: the volume's name on its first line.
            await DockerCli.OutputAsync(["run", "--rm", "--network", "none", "--mount", Snapshot(complete, "/s"), "--entrypoint", "sh", DindImage, "-c", $"printf '%s\\nkey\\n' {complete} > /s/complete"]);
            var user = await harness.RunAsync($"dindbuild-{harness.Id}-user", ["--network", "none", "--mount", Snapshot(mounted, "/dindbuild-seed") + ",readonly", "--entrypoint", "sleep", DindImage, "600"]);
            Assert.True(user.ExitCode == 0, user.StandardError);

            var settings = new DindSettings(RepositoryRoot.Path).WithDockerMode(DockerMode.Dind);
            await using (var reaper = DindSession.Create(settings, EngineFixture.Log, SessionSteps.Services(EngineFixture.Log)))
            {
                await reaper.ReapAsync(settings.ReapOlderThan, Cancel);
            }

            // Another test's StartDaemon may hold the unused one's lock at Reap's moment (Reap keeps it then, and that quick
            // reap removes it): waited out, while one that stays is still a failure.
            Assert.Empty(await DockerCli.VolumesLeftAsync($"name={unused}"));
            var left = (await DockerCli.OutputAsync(["volume", "ls", "-q", "--filter", "label=org.dindbuild.cache=seed-snapshot"])).Split('\n');
            Assert.Contains(mounted, left);
            Assert.Contains(complete, left);

            // Reap's own checks leave nothing: no marker-reading container and no lock (another run's StartDaemon may be
            // reading a marker, or holding one of these locks, right now, for a few seconds).
            Assert.Empty(await DockerCli.ContainersLeftAsync("label=org.dindbuild.role=seed-snapshot-check"));
            Assert.Empty(await DockerCli.ContainersLeftAsync($"name=dindbuild-cache-lock-dindbuild-seed-{harness.Id}"));
        }
        finally
        {
            // -v: the DinD image declares VOLUME /var/lib/docker, and 'docker rm' without it leaves that anonymous volume.
            await DockerCli.RunAsync(["rm", "-f", "-v", $"dindbuild-{harness.Id}-user"]);
            foreach (var volume in (string[])[unused, mounted, complete])
            {
                await DockerCli.RunAsync(["volume", "rm", volume]);
            }
        }
    }
}
