using DindBuild.Docker;

namespace DindBuild.Images;

/// <summary>
/// What a push has moved so far, summed over its layers from the daemon's per-layer lines, for the same periodic
/// progress line seeding shows; a layer the registry already has counts as done (nothing of it is sent).
/// </summary>
internal sealed class PushProgress
{
    private readonly Dictionary<string, (long Current, long Total, bool Done, bool Existed)> _layers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Bytes of the layers being or already uploaded (uncompressed, as the daemon counts them).</summary>
    public long BytesSent
    {
        get
        {
            lock (_gate)
            {
                return _layers.Values.Where(layer => !layer.Existed).Sum(layer => layer.Current);
            }
        }
    }

    /// <summary>Layers uploaded, and those the registry already had.</summary>
    public (int Pushed, int Existed) Layers
    {
        get
        {
            lock (_gate)
            {
                return (_layers.Values.Count(layer => layer.Done && !layer.Existed), _layers.Values.Count(layer => layer.Existed));
            }
        }
    }

    public void Observe(PushStatus status)
    {
        if (status.Layer is not { Length: > 0 } id)
        {
            return;
        }

        lock (_gate)
        {
            var layer = _layers.GetValueOrDefault(id);
            if (status.Current is { } current)
            {
                layer.Current = Math.Max(layer.Current, current);
            }

            if (status.Total is > 0 and var total)
            {
                layer.Total = total;
            }

            if (status.Status.StartsWith("Pushed", StringComparison.Ordinal))
            {
                layer = layer with { Done = true, Current = Math.Max(layer.Current, layer.Total) };
            }
            else if (status.Status.StartsWith("Layer already exists", StringComparison.Ordinal) || status.Status.StartsWith("Mounted from", StringComparison.Ordinal))
            {
                layer = layer with { Done = true, Existed = true };
            }

            _layers[id] = layer;
        }
    }
}
