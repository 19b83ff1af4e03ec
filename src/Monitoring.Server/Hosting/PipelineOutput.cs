using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Ingestion;
using Monitoring.Sinks.InfluxDb;

namespace Monitoring.Server.Hosting;

/// <summary>
/// What the aggregation loop produces goes to the in-memory interval store (which the API reads and which merges
/// corrections) and, when an InfluxDB is configured, through the outbox to the disk spool the forwarder drains.
/// Pass-through lines (agents' <c>edge_status</c>) also update the <see cref="EdgeStatusBoard"/> the API reads.
/// </summary>
internal sealed class PipelineOutput(LatestIntervalStore store, InfluxOutbox? outbox, bool rawReadings, EdgeStatusBoard agents) : IPipelineOutput
{
    private readonly IIntervalSink _intervals = outbox is null ? store : outbox;
    private readonly IRollupSink _rollups = outbox is null ? store : outbox;

    public void Write(in ClosedInterval interval) => _intervals.Write(interval);

    public void Write(in RollupInterval interval) => _rollups.Write(interval);

    public void Write(in IntensityInterval intensity) => _rollups.Write(intensity);

    public bool WantsReadings => outbox is not null && rawReadings;

    public void WriteReading(SeriesInfo series, long timestampMs, double value) =>
        outbox?.WriteReading(series, DateTimeOffset.FromUnixTimeMilliseconds(timestampMs), value);

    public void WritePassthrough(ReadOnlySpan<byte> line)
    {
        agents.Observe(line);
        outbox?.WriteLine(line);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (outbox is not null)
        {
            await outbox.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void SaveState(Stream destination) => store.WriteSnapshot(destination);

    public void LoadState(Stream source) => store.RestoreSnapshot(source);

    public void Rebind(RollupTopology topology)
    {
        store.Rebind(topology);
        outbox?.Rebind();
    }
}
