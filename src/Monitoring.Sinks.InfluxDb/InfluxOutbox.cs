using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Storage;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>What the outbox has done since it was created.</summary>
public sealed record OutboxStatistics(
    long LinesFormatted,
    long RecordsSpooled,
    long CorrectionsMerged,
    long CorrectionsUnmatched,
    long CorrectionsExpired,
    long ReadingsDownsampled,
    long LinesBeyondRetention = 0);

/// <summary>
/// The write side of the InfluxDB sink: receives the aggregation core's records, merges each correction into the
/// record it names (<see cref="LatestIntervalStore"/>), formats line protocol into an in-memory batch, and on
/// <see cref="FlushAsync"/> appends the batch to the spool in records of at most
/// <see cref="InfluxSinkOptions.BatchLines"/> lines, returning once they are durable. The
/// <see cref="SinkForwarder"/> takes them from there.
/// </summary>
/// <remarks>
/// Not thread-safe: the aggregation thread calls the <c>Write</c> methods synchronously and the same owner calls
/// <see cref="FlushAsync"/> (after each ingested batch, and before it checkpoints the aggregation state and the store,
/// so that a checkpoint never covers records that are only in memory).
/// </remarks>
public sealed class InfluxOutbox : IIntervalSink, IRollupSink
{
    private readonly InfluxSinkOptions _options;
    private readonly LatestIntervalStore _store;
    private readonly DiskBuffer _spool;
    private readonly SinkMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly long _downsamplingMs;
    private readonly long[]? _retentionMs;
    private readonly long[] _cutoffMs = new long[IntervalResolutions.Count + 1];
    private readonly LineBuffer _chunk = new();
    private List<byte[]> _sealed = [];
    private int _chunkLines;
    private int _sealedLines;
    private long[] _lastReadingBucket = [];
    private long _linesFormatted;
    private long _recordsSpooled;
    private long _correctionsMerged;
    private long _correctionsUnmatched;
    private long _correctionsExpired;
    private long _readingsDownsampled;
    private long _linesBeyondRetention;

    /// <param name="time">The clock <see cref="InfluxSinkOptions.Retention"/> is measured against.</param>
    public InfluxOutbox(InfluxSinkOptions options, LatestIntervalStore store, DiskBuffer spool, SinkMetrics? metrics = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spool);
        options.Validate();
        _options = options;
        _store = store;
        _spool = spool;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _downsamplingMs = (long)options.RawDownsampling.TotalMilliseconds;
        if (options.Retention.Count > 0)
        {
            _retentionMs = new long[_cutoffMs.Length];
            Array.Fill(_retentionMs, -1);
            foreach (var (key, age) in options.Retention)
            {
                _retentionMs[InfluxSinkOptions.RetentionIndex(key)] = (long)age.TotalMilliseconds;
            }
        }

        UpdateCutoffs();
    }

    /// <summary>Lines formatted and not yet handed to the spool: the owner may flush early when this grows large.</summary>
    public int PendingLines => _sealedLines + _chunkLines;

    public OutboxStatistics Statistics => new(
        Interlocked.Read(ref _linesFormatted), Interlocked.Read(ref _recordsSpooled), Interlocked.Read(ref _correctionsMerged),
        Interlocked.Read(ref _correctionsUnmatched), Interlocked.Read(ref _correctionsExpired), Interlocked.Read(ref _readingsDownsampled),
        Interlocked.Read(ref _linesBeyondRetention));

    /// <summary>A series interval or correction: <c>interval_series</c>, when <see cref="InfluxSinkOptions.WriteSeriesIntervals"/>.</summary>
    public void Write(in ClosedInterval interval)
    {
        if (!_options.WriteSeriesIntervals || !Count(_store.Apply(interval, out var latest), interval.IsCorrection) || BeyondRetention(interval.Resolution, interval.End))
        {
            return;
        }

        Added(InfluxLineFormatter.Write(_chunk, latest));
    }

    /// <summary>A meter or node interval or correction: <c>interval_meter</c> or <c>interval_node</c>.</summary>
    public void Write(in RollupInterval interval)
    {
        if (Count(_store.Apply(interval, out var latest), interval.IsCorrection) && !BeyondRetention(interval.Resolution, interval.End))
        {
            Added(InfluxLineFormatter.Write(_chunk, latest));
        }
    }

    /// <summary>An intensity or correction: <c>kpi_intensity</c>.</summary>
    public void Write(in IntensityInterval intensity)
    {
        if (Count(_store.Apply(intensity, out var latest), intensity.IsCorrection) && !BeyondRetention(intensity.Resolution, intensity.End))
        {
            Added(InfluxLineFormatter.Write(_chunk, latest));
        }
    }

    /// <summary>
    /// A raw reading as the <c>meter</c> measurement, when <see cref="InfluxSinkOptions.WriteRawReadings"/>; with
    /// <see cref="InfluxSinkOptions.RawDownsampling"/> only the first reading of each series in each such slice of
    /// event time is kept (slices aligned on the epoch, so a replay keeps the same readings).
    /// </summary>
    /// <param name="value">The value as read (before the registry's multiplier), as on the wire.</param>
    public void WriteReading(SeriesInfo series, DateTimeOffset time, double value)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (!_options.WriteRawReadings || BeyondRetention(slot: 0, time.ToUnixTimeMilliseconds()))
        {
            return;
        }

        if (_downsamplingMs > 0)
        {
            if (series.Id >= _lastReadingBucket.Length)
            {
                var grown = new long[Math.Max(series.Id + 1, _store.Topology.Catalog.Count)];
                Array.Fill(grown, long.MinValue);
                _lastReadingBucket.CopyTo(grown, 0);
                _lastReadingBucket = grown;
            }

            var bucket = Math.DivRem(time.ToUnixTimeMilliseconds(), _downsamplingMs, out var remainder) - (remainder < 0 ? 1 : 0);
            if (bucket <= _lastReadingBucket[series.Id])
            {
                Interlocked.Increment(ref _readingsDownsampled);
                _metrics?.ReadingSkipped();
                return;
            }

            _lastReadingBucket[series.Id] = bucket;
        }

        Added(InfluxLineFormatter.WriteReading(_chunk, series, time, value));
    }

    /// <summary>A registry reload gave the series new ids: raw-reading downsampling starts over (at most one more reading per series).</summary>
    public void Rebind() => _lastReadingBucket = [];

    /// <summary>
    /// A line written as it came (edge agent health), without its newline; its timestamp must be in milliseconds,
    /// the precision the writers send with.
    /// </summary>
    public void WriteLine(ReadOnlySpan<byte> line)
    {
        _chunk.Append(line);
        _chunk.Append((byte)'\n');
        Added(written: true);
    }

    /// <summary>Appends the pending lines to the spool; returns once they are durable there.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        UpdateCutoffs();
        Seal();
        if (_sealed.Count == 0)
        {
            return;
        }

        // Taken before the first await: records written meanwhile go to the next flush.
        var batches = _sealed;
        var lines = _sealedLines;
        _sealed = [];
        _sealedLines = 0;
        try
        {
            // Appends are issued in order (sequence numbers are taken synchronously) and share the group commit.
            var durable = new Task<long>[batches.Count];
            for (var i = 0; i < batches.Count; i++)
            {
                durable[i] = _spool.AppendAsync(RecordPriority.Counter, batches[i], cancellationToken).AsTask();
            }

            await Task.WhenAll(durable).ConfigureAwait(false);
        }
        catch
        {
            // Appended again by the next flush: a point written twice holds the same values.
            batches.AddRange(_sealed);
            _sealed = batches;
            _sealedLines += lines;
            throw;
        }

        Interlocked.Add(ref _recordsSpooled, batches.Count);
    }

    /// <summary>The clock is read at start and at each flush (once per ingested batch), not once per record.</summary>
    private void UpdateCutoffs()
    {
        if (_retentionMs is null)
        {
            return;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < _cutoffMs.Length; i++)
        {
            _cutoffMs[i] = _retentionMs[i] < 0 ? long.MinValue : now - _retentionMs[i];
        }
    }

    private bool BeyondRetention(IntervalResolution resolution, DateTimeOffset end) =>
        BeyondRetention((int)resolution + 1, end.ToUnixTimeMilliseconds());

    private bool BeyondRetention(int slot, long endMs)
    {
        if (_retentionMs is null || endMs >= _cutoffMs[slot])
        {
            return false;
        }

        Interlocked.Increment(ref _linesBeyondRetention);
        _metrics?.LineBeyondRetention();
        return true;
    }

    private bool Count(StoreOutcome outcome, bool isCorrection)
    {
        switch (outcome)
        {
            case StoreOutcome.Merged:
                Interlocked.Increment(ref _correctionsMerged);
                _metrics?.CorrectionMerged();
                return true;
            case StoreOutcome.Unmatched:
                Interlocked.Increment(ref _correctionsUnmatched);
                _metrics?.CorrectionUnmatched();
                return true;
            case StoreOutcome.Expired when isCorrection:
                // Written as is, its deltas would overwrite the merged values the point holds.
                Interlocked.Increment(ref _correctionsExpired);
                _metrics?.CorrectionExpired();
                return false;
            default:
                return true;
        }
    }

    private void Added(bool written)
    {
        if (!written)
        {
            return;
        }

        Interlocked.Increment(ref _linesFormatted);
        _metrics?.LinesFormatted(1);
        if (++_chunkLines >= _options.BatchLines)
        {
            Seal();
        }
    }

    private void Seal()
    {
        if (_chunkLines == 0)
        {
            return;
        }

        _sealed.Add(_chunk.WrittenSpan.ToArray());
        _sealedLines += _chunkLines;
        _chunk.Clear();
        _chunkLines = 0;
    }
}
