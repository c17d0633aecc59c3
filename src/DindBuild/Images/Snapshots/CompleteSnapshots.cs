using DindBuild.Docker;
using DindBuild.IO;
using DindBuild.Sessions;
using Serilog;

namespace DindBuild.Images.Snapshots;

/// <summary>
/// The seed snapshots a Reap found complete on a host engine, remembered in the repository's engine memory
/// (<c>.dindbuild/engines/seed-complete-ENGINEID.json</c>) by volume name and creation label: a volume removed and made
/// again under the same name has another creation time, so it is checked afresh. A snapshot without a creation label
/// is never remembered. Entries of volumes gone from the engine are dropped at each save.
/// </summary>
/// <remarks>
/// Trusting the file can only keep a snapshot: a forged entry keeps a half-made one until a Reap with
/// <c>--reap-older-than</c> or <c>--prune-seed-snapshots</c>, which check it under the lock as before. Whether a run
/// uses a snapshot never depends on it.
/// </remarks>
internal sealed class CompleteSnapshots
{
    private readonly EngineMemoryFile<List<Entry>> _file;
    private readonly string _engineId;
    private readonly HashSet<Entry> _known;
    private bool _changed;

    private CompleteSnapshots(EngineMemoryFile<List<Entry>> file, string engineId, IEnumerable<Entry> known) =>
        (_file, _engineId, _known) = (file, engineId, [.. known]);

    private sealed record Entry(string Volume, string Created);

    public static async Task<CompleteSnapshots> ReadAsync(IDockerEngine engine, string directory, ILogger log, CancellationToken cancellationToken)
    {
        var file = new EngineMemoryFile<List<Entry>>(directory, "seed-complete", "the seed snapshots found complete", log);
        var engineId = (await engine.System.GetInfoAsync(cancellationToken).ConfigureAwait(false)).Id;
        var known = await file.ReadAsync(engineId, cancellationToken).ConfigureAwait(false) ?? [];
        return new CompleteSnapshots(file, engineId, known.Where(entry => entry is { Volume: not null, Created: not null }));
    }

    public bool Contains(LabelledResource snapshot) => EntryFor(snapshot) is { } entry && _known.Contains(entry);

    public void Add(LabelledResource snapshot)
    {
        if (EntryFor(snapshot) is { } entry && _known.Add(entry))
        {
            _changed = true;
        }
    }

    /// <summary>Writes what was learnt, keeping only the snapshots still on the engine.</summary>
    public void Save(IReadOnlyList<LabelledResource> onEngine)
    {
        var present = onEngine.Select(EntryFor).OfType<Entry>().ToHashSet();
        var kept = _known.Where(present.Contains).ToList();
        if (_changed || kept.Count != _known.Count)
        {
            _file.Write(_engineId, kept);
        }
    }

    private static Entry? EntryFor(LabelledResource snapshot) =>
        snapshot.Labels.TryGetValue(SessionLabels.Created, out var created) ? new Entry(snapshot.Id, created) : null;
}
