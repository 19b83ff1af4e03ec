namespace Monitoring.Aggregation;

/// <summary>
/// Receives closed intervals and correction records. Called synchronously on the aggregator's thread: an
/// implementation must not block (a real sink copies the record into a bounded channel and counts drops).
/// </summary>
public interface IIntervalSink
{
    void Write(in ClosedInterval interval);
}

/// <summary>Keeps every record in memory, in emission order. For tests and the embedded default; not thread-safe.</summary>
public sealed class InMemoryIntervalSink : IIntervalSink
{
    private readonly List<ClosedInterval> _records = [];

    public IReadOnlyList<ClosedInterval> Records => _records;

    public void Write(in ClosedInterval interval) => _records.Add(interval);

    public void Clear() => _records.Clear();
}
