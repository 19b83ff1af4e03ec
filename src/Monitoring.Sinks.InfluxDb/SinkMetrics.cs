using System.Diagnostics.Metrics;
using Monitoring.Storage;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>
/// The sink's figures as <see cref="System.Diagnostics.Metrics"/> instruments of the meter <c>Monitoring.Sinks</c>:
/// what the outbox formatted and merged, what the forwarder wrote, rejected or retried, and the spool's backlog.
/// </summary>
public sealed class SinkMetrics : IDisposable
{
    public const string MeterName = "Monitoring.Sinks";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _linesWritten;
    private readonly Counter<long> _batchesWritten;
    private readonly Counter<long> _batchesRejected;
    private readonly Counter<long> _linesRejected;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _linesFormatted;
    private readonly Counter<long> _correctionsMerged;
    private readonly Counter<long> _correctionsUnmatched;
    private readonly Counter<long> _correctionsExpired;
    private readonly Counter<long> _readingsSkipped;
    private readonly Counter<long> _beyondRetention;
    private Func<TimeSpan>? _lag;

    /// <param name="spool">Observed for the pending records, its size and what it dropped.</param>
    /// <param name="meterFactory">The host's factory (dependency injection); a standalone meter without one.</param>
    public SinkMetrics(DiskBuffer spool, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(spool);
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _linesWritten = _meter.CreateCounter<long>("monitoring.sinks.lines_written", "{line}", "Lines the server confirmed.");
        _batchesWritten = _meter.CreateCounter<long>("monitoring.sinks.batches_written", "{batch}", "Write requests the server confirmed.");
        _batchesRejected = _meter.CreateCounter<long>("monitoring.sinks.batches_rejected", "{batch}", "Batches the server refused for good (kept in the rejected folder).");
        _linesRejected = _meter.CreateCounter<long>("monitoring.sinks.lines_rejected", "{line}", "Lines of the rejected batches.");
        _failures = _meter.CreateCounter<long>("monitoring.sinks.failures", "{request}", "Write requests that failed transiently and will be retried.");
        _linesFormatted = _meter.CreateCounter<long>("monitoring.sinks.lines_formatted", "{line}", "Lines formatted into the outbox.");
        _correctionsMerged = _meter.CreateCounter<long>("monitoring.sinks.corrections_merged", "{record}", "Corrections merged into the record they name.");
        _correctionsUnmatched = _meter.CreateCounter<long>("monitoring.sinks.corrections_unmatched", "{record}", "Corrections whose record was not in the store, written as they are.");
        _correctionsExpired = _meter.CreateCounter<long>("monitoring.sinks.corrections_expired", "{record}", "Corrections of intervals older than the store keeps, not written.");
        _readingsSkipped = _meter.CreateCounter<long>("monitoring.sinks.readings_downsampled", "{reading}", "Raw readings left out by downsampling.");
        _beyondRetention = _meter.CreateCounter<long>("monitoring.sinks.lines_beyond_retention", "{line}", "Records older than the retention configured for their resolution, not sent.");
        _meter.CreateObservableGauge("monitoring.sinks.pending_records", () => spool.Statistics.Records, "{record}", "Spool records not yet confirmed.");
        _meter.CreateObservableGauge("monitoring.sinks.spool_bytes", () => spool.Statistics.Bytes, "By", "Size of the spool on disk.");
        _meter.CreateObservableGauge("monitoring.sinks.lag", () => (_lag?.Invoke() ?? TimeSpan.Zero).TotalSeconds, "s", "Age of the oldest batch not yet confirmed.");
        _meter.CreateObservableCounter(
            "monitoring.sinks.spool_dropped",
            () => { var s = spool.Statistics; return s.DroppedCountersFull + s.DroppedGaugesFull + s.DroppedExpired; },
            "{record}",
            "Spool records dropped because the spool was full or they were too old.");
    }

    internal void LinesFormatted(int lines) => _linesFormatted.Add(lines);

    internal void CorrectionMerged() => _correctionsMerged.Add(1);

    internal void CorrectionUnmatched() => _correctionsUnmatched.Add(1);

    internal void CorrectionExpired() => _correctionsExpired.Add(1);

    internal void ReadingSkipped() => _readingsSkipped.Add(1);

    internal void LineBeyondRetention() => _beyondRetention.Add(1);

    internal void BatchWritten(int lines)
    {
        _batchesWritten.Add(1);
        _linesWritten.Add(lines);
    }

    internal void BatchRejected(int lines)
    {
        _batchesRejected.Add(1);
        _linesRejected.Add(lines);
    }

    internal void Failure() => _failures.Add(1);

    /// <summary>The forwarder reports its lag here (it knows the oldest pending batch exactly).</summary>
    internal void ObserveLag(Func<TimeSpan> lag) => _lag = lag;

    /// <summary>Disposes a standalone meter; a factory's meter lives as long as its factory.</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
