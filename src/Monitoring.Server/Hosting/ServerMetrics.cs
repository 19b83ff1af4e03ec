using System.Diagnostics.Metrics;
using Monitoring.Ingestion;

namespace Monitoring.Server.Hosting;

/// <summary>
/// The server's figures (meter <c>Monitoring.Server</c>, exported at <c>/metrics</c> in Prometheus text format):
/// writes by transport and outcome, lines read, malformed and quarantined (by reason), and the pipeline's
/// write-ahead log, queues, replay and checkpoint position.
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Monitoring.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _writes;
    private readonly Counter<long> _lines;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _registryReloads;

    public ServerMetrics(IMeterFactory meterFactory, IngestPipeline pipeline)
    {
        _meter = meterFactory.Create(MeterName);
        _writes = _meter.CreateCounter<long>("monitoring.ingest.writes", "{write}", "Writes received, by transport and outcome.");
        _lines = _meter.CreateCounter<long>("monitoring.ingest.lines", "{line}", "Line-protocol lines read (blank lines and comments included).");
        _malformed = _meter.CreateCounter<long>("monitoring.ingest.lines.malformed", "{line}", "Lines rejected as malformed line protocol.");
        _registryReloads = _meter.CreateCounter<long>("monitoring.registry.reloads", "{reload}", "Registry reloads, by outcome (applied or refused).");
        _meter.CreateObservableCounter("monitoring.ingest.lines.quarantined", () => Enum.GetValues<RejectionReason>()
            .Select(reason => new Measurement<long>(pipeline.Quarantine.Count(reason), new KeyValuePair<string, object?>("reason", reason.ToString()))),
            "{line}", "Readings set aside in quarantine, by reason.");
        _meter.CreateObservableCounter("monitoring.ingest.readings.applied", () => pipeline.Statistics.ReadingsApplied, "{reading}", "Readings applied to the aggregation core.");
        _meter.CreateObservableCounter("monitoring.ingest.readings.duplicate", () => pipeline.Statistics.ReadingsDuplicate, "{reading}", "Readings received again (same series and time) and ignored.");
        _meter.CreateObservableCounter("monitoring.ingest.batches.stored", () => pipeline.Statistics.BatchesStored, "{batch}", "Writes appended to the write-ahead log.");
        _meter.CreateObservableCounter("monitoring.ingest.batches.duplicate", () => pipeline.Statistics.BatchesDuplicate, "{batch}", "Writes whose batch id was stored already.");
        _meter.CreateObservableCounter("monitoring.ingest.refused", () => new[]
        {
            new Measurement<long>(pipeline.Statistics.RefusedBusy, new KeyValuePair<string, object?>("cause", "busy")),
            new Measurement<long>(pipeline.Statistics.RefusedFull, new KeyValuePair<string, object?>("cause", "wal_full")),
            new Measurement<long>(pipeline.Statistics.RefusedFailed, new KeyValuePair<string, object?>("cause", "wal_error")),
        }, "{batch}", "Writes refused (503): backpressure, a full log, or a log that cannot be written.");
        _meter.CreateObservableGauge("monitoring.queue.bytes", () => pipeline.Statistics.QueuedBytes, "By", "Bytes of writes waiting for the log or the aggregation.");
        _meter.CreateObservableCounter("monitoring.loop.restarts", () => pipeline.Loops.Select(l => new Measurement<long>(l.Restarts, new KeyValuePair<string, object?>("loop", l.Name))),
            "{restart}", "Restarts of the pipeline's background loops after a failure (logged with its cause).");
        _meter.CreateObservableGauge("monitoring.loop.progress_age", () => pipeline.Loops.Select(l => new Measurement<double>(
            l.LastProgress is { } at ? (DateTimeOffset.UtcNow - at).TotalSeconds : double.NaN, new KeyValuePair<string, object?>("loop", l.Name))),
            "s", "Time since each background loop last made progress.");
        _meter.CreateObservableGauge("monitoring.checkpoint.age", () => pipeline.Statistics.LastCheckpoint is { } at ? (DateTimeOffset.UtcNow - at).TotalSeconds : double.NaN,
            "s", "Time since the last checkpoint.");
        _meter.CreateObservableCounter("monitoring.aggregation.failures", () => pipeline.Statistics.LoopFailures, "{failure}", "Failures of the aggregation loop (flush, checkpoint, a batch): logged with their cause.");
        _meter.CreateObservableGauge("monitoring.wal.bytes", () => pipeline.Statistics.WalBytes, "By", "Size of the write-ahead log.");
        _meter.CreateObservableGauge("monitoring.wal.records", () => pipeline.Statistics.WalRecords, "{record}", "Writes in the log not yet covered by a checkpoint.");
        _meter.CreateObservableGauge("monitoring.queue.depth", () => new[]
        {
            new Measurement<int>(pipeline.Statistics.SubmitQueueDepth, new KeyValuePair<string, object?>("queue", "wal")),
            new Measurement<int>(pipeline.Statistics.ApplyQueueDepth, new KeyValuePair<string, object?>("queue", "aggregation")),
        }, "{write}", "Writes waiting in each stage.");
        _meter.CreateObservableGauge("monitoring.checkpoint.lag", () => pipeline.Statistics is var s ? s.AppliedLsn - s.CheckpointLsn : 0, "{write}", "Writes applied since the last checkpoint.");
    }

    public void Write(string transport, string outcome) =>
        _writes.Add(1, new KeyValuePair<string, object?>("transport", transport), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts a write's lines (quarantined ones are counted by the quarantine, per reason).</summary>
    public void LinesRead(long lines, long malformed)
    {
        _lines.Add(lines);
        if (malformed > 0)
        {
            _malformed.Add(malformed);
        }
    }

    public void RegistryReloaded(bool applied) =>
        _registryReloads.Add(1, new KeyValuePair<string, object?>("outcome", applied ? "applied" : "refused"));

    public void Dispose() => _meter.Dispose();
}
