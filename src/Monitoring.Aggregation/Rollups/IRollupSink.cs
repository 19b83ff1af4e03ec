namespace Monitoring.Aggregation.Rollups;

/// <summary>
/// Receives the roll-up engine's records. Called synchronously on the aggregator's thread: an implementation
/// must not block (a real sink copies the record into a bounded channel and counts drops).
/// </summary>
public interface IRollupSink
{
    void Write(in RollupInterval interval);

    void Write(in IntensityInterval intensity);
}

/// <summary>Keeps every record in memory, in emission order. For tests and the embedded default; not thread-safe.</summary>
public sealed class InMemoryRollupSink : IRollupSink
{
    private readonly List<RollupInterval> _intervals = [];
    private readonly List<IntensityInterval> _intensities = [];

    public IReadOnlyList<RollupInterval> Intervals => _intervals;
    public IReadOnlyList<IntensityInterval> Intensities => _intensities;

    public void Write(in RollupInterval interval) => _intervals.Add(interval);

    public void Write(in IntensityInterval intensity) => _intensities.Add(intensity);

    public void Clear()
    {
        _intervals.Clear();
        _intensities.Clear();
    }
}
