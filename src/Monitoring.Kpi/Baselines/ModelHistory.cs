namespace Monitoring.Kpi.Baselines;

/// <summary>A model as it was fitted: its version number and fit time identify it in every report that used it.</summary>
public sealed record ModelVersion<TModel>(int Version, DateTimeOffset FittedAt, TModel Model);

/// <summary>
/// Append-only list of fitted baselines for one meter or EnPI. A refit adds a version and never replaces one,
/// so a report can always cite (and re-derive from) the exact model it used. Thread-safe.
/// </summary>
public sealed class ModelHistory<TModel>(TimeProvider clock)
    where TModel : class
{
    private readonly Lock _gate = new();
    private readonly List<ModelVersion<TModel>> _versions = [];

    public ModelHistory()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Snapshot of all versions, oldest first.</summary>
    public IReadOnlyList<ModelVersion<TModel>> Versions
    {
        get
        {
            lock (_gate)
            {
                return [.. _versions];
            }
        }
    }

    /// <summary>The newest version, or null before the first fit.</summary>
    public ModelVersion<TModel>? Latest
    {
        get
        {
            lock (_gate)
            {
                return _versions.Count == 0 ? null : _versions[^1];
            }
        }
    }

    /// <summary>Records a newly fitted model as the next version, stamped with the clock's current time.</summary>
    public ModelVersion<TModel> Append(TModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_gate)
        {
            var version = new ModelVersion<TModel>(_versions.Count + 1, clock.GetUtcNow(), model);
            _versions.Add(version);
            return version;
        }
    }

    /// <summary>A specific version (1-based) as cited by a report.</summary>
    public ModelVersion<TModel> Get(int version)
    {
        lock (_gate)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(version, _versions.Count);
            return _versions[version - 1];
        }
    }
}
