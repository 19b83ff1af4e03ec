using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Monitoring.Aggregation;
using Monitoring.Aggregation.Rollups;
using Monitoring.Storage;

namespace Monitoring.Ingestion;

/// <summary>
/// The server's spine: validated writes are appended to the write-ahead log (group commit with fsync) and only then
/// acknowledged; one loop applies them, in log order, to the aggregation core and its roll-ups, whose output goes
/// to <see cref="IPipelineOutput"/>. Every <see cref="IngestPipelineOptions.CheckpointInterval"/> the output is made
/// durable, the whole state is checkpointed with the log position it covers, and the log is truncated behind it.
/// At start the checkpoint is loaded and the log replayed from it, so a restart (even after SIGKILL) continues
/// exactly as an uninterrupted run.
/// </summary>
public sealed partial class IngestPipeline : IAsyncDisposable
{
    private const string CheckpointFile = "checkpoint.bin";
    private const uint CheckpointMagic = 0x4B434D4D; // "MMCK"

    private readonly SeriesCatalog _catalog;
    private readonly IntervalAggregator _aggregator;
    private readonly RollupEngine _rollups;
    private readonly IPipelineOutput _output;
    private readonly Quarantine _quarantine;
    private readonly IngestPipelineOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DiskBuffer _wal;
    private readonly BatchIdWindow _batchIds = new();

    // Ids of the batches applied (so in the log or covered by a checkpoint): the only ones a checkpoint may keep.
    // A claim still on its way to the log must not survive a crash, or the sender's retry would be taken for a
    // duplicate of a batch that was never stored.
    private readonly BatchIdWindow _appliedIds = new();
    private readonly Channel<Submission> _submissions;
    private readonly Channel<Work> _work;
    private readonly CancellationTokenSource _stopping = new();
    private Task _logWriter = Task.CompletedTask;
    private Task _applier = Task.CompletedTask;
    private Task _ticker = Task.CompletedTask;
    private long _appliedLsn;
    private long _checkpointLsn;
    private long _lastCheckpointMs;
    private long _lastFlushMs;
    private long _batchesStored;
    private long _batchesDuplicate;
    private long _refusedBusy;
    private long _refusedFull;
    private long _readingsApplied;
    private long _readingsDuplicate;
    private long _readingsRejected;
    private long _passthroughLines;
    private long _replayedBatches;
    private long _loopFailures;
    private int _disposed;

    private IngestPipeline(SeriesCatalog catalog, RollupTopology topology, IPipelineOutput output, Quarantine quarantine,
        IngestPipelineOptions options, ILogger logger, TimeProvider time, DiskBuffer wal)
    {
        _catalog = catalog;
        _output = output;
        _quarantine = quarantine;
        _options = options;
        _logger = logger;
        _time = time;
        _wal = wal;
        _rollups = new RollupEngine(topology, output, options.Rollups);
        _aggregator = new IntervalAggregator(catalog, new FanOutIntervalSink(output, _rollups), options.Aggregation, time);
        _submissions = Channel.CreateBounded<Submission>(new BoundedChannelOptions(options.SubmitQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _work = Channel.CreateBounded<Work>(new BoundedChannelOptions(options.ApplyQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public SeriesCatalog Catalog => _catalog;

    public Quarantine Quarantine => _quarantine;

    public IngestPipelineOptions Options => _options;

    /// <summary>Figures for <c>/metrics</c> and <c>/health</c> (read from any thread; each figure is consistent on its own).</summary>
    public IngestStatistics Statistics
    {
        get
        {
            var wal = _wal.Statistics;
            return new IngestStatistics(
                Interlocked.Read(ref _batchesStored), Interlocked.Read(ref _batchesDuplicate), Interlocked.Read(ref _refusedBusy), Interlocked.Read(ref _refusedFull),
                Interlocked.Read(ref _readingsApplied), Interlocked.Read(ref _readingsDuplicate), Interlocked.Read(ref _readingsRejected), Interlocked.Read(ref _passthroughLines),
                Interlocked.Read(ref _replayedBatches), wal.Records, wal.Bytes, _submissions.Reader.Count, _work.Reader.Count,
                Interlocked.Read(ref _appliedLsn), Interlocked.Read(ref _checkpointLsn),
                Interlocked.Read(ref _lastCheckpointMs) is var ms && ms > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
                _aggregator.Watermark,
                Interlocked.Read(ref _loopFailures));
        }
    }

    /// <summary>Opens the write-ahead log, loads the checkpoint, replays the log from it, then starts the loops.</summary>
    /// <param name="topology">The roll-up graph; the output's stores must use the same one (records are matched by node).</param>
    public static async Task<IngestPipeline> StartAsync(RollupTopology topology, IPipelineOutput output, Quarantine quarantine,
        IngestPipelineOptions options, ILogger logger, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(quarantine);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        time ??= TimeProvider.System;
        Directory.CreateDirectory(options.DataDirectory);
        var wal = DiskBuffer.Open(new DiskBufferOptions
        {
            Directory = Path.Combine(options.DataDirectory, "wal"),
            MaxBytes = options.WalMaxBytes,
            SegmentBytes = options.WalSegmentBytes,
            MaxAge = TimeSpan.FromDays(3650),
            CommitInterval = options.WalCommitInterval,
            Fsync = options.Fsync,
            RefuseWhenFull = true,
        }, out var recovery, time);
        foreach (var problem in recovery.Problems)
        {
            LogWalRepaired(logger, problem);
        }

        var pipeline = new IngestPipeline(topology.Catalog, topology, output, quarantine, options, logger, time, wal);
        await pipeline.RecoverAsync(cancellationToken).ConfigureAwait(false);
        pipeline._logWriter = pipeline.WriteLogAsync();
        pipeline._applier = pipeline.ApplyAsync();
        pipeline._ticker = pipeline.TickAsync(pipeline._stopping.Token);
        return pipeline;
    }

    /// <summary>
    /// Stores a validated write. Returns once it is in the write-ahead log (fsynced) or refused; never waits for the
    /// aggregation. A batch id seen before is acknowledged as a duplicate without being stored again.
    /// </summary>
    public async ValueTask<SubmitOutcome> SubmitAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested)
        {
            return SubmitOutcome.Stopping;
        }

        var batchId = BatchIdWindow.ToId(batch.BatchId);
        if (batchId is not null && !_batchIds.TryClaim(batchId))
        {
            Interlocked.Increment(ref _batchesDuplicate);
            return SubmitOutcome.Duplicate;
        }

        var submission = new Submission(batch, batchId);
        if (!_submissions.Writer.TryWrite(submission))
        {
            Interlocked.Increment(ref _refusedBusy);
            Release(batchId);
            return SubmitOutcome.Busy;
        }

        var outcome = await submission.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (outcome != SubmitOutcome.Stored)
        {
            Release(batchId);
        }

        return outcome;
    }

    /// <summary>Applies what is queued, makes the output durable, checkpoints and truncates the log (tests, shutdown).</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _work.Writer.WriteAsync(new Work(default, 0, WorkKind.Checkpoint, done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking writes, applies and checkpoints what was stored, closes the log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _submissions.Writer.TryComplete();
        await _logWriter.ConfigureAwait(false);
        await _ticker.ConfigureAwait(false);
        _work.Writer.TryComplete();
        await _applier.ConfigureAwait(false);
        await _wal.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void Release(string? batchId)
    {
        if (batchId is not null)
        {
            _batchIds.Release(batchId);
        }
    }

    /// <summary>One writer appends in arrival order; appends overlap so that one fsync covers many writes.</summary>
    private async Task WriteLogAsync()
    {
        var reader = _submissions.Reader;
        var inFlight = new List<(Submission Submission, Task<long> Append)>(64);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (inFlight.Count < 256 && reader.TryRead(out var submission))
            {
                inFlight.Add((submission, AppendAsync(submission.Batch)));
            }

            foreach (var (submission, append) in inFlight)
            {
                long lsn;
                try
                {
                    lsn = await append.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    LogWalFailed(_logger, ex);
                    submission.Done.TrySetResult(SubmitOutcome.Busy);
                    continue;
                }

                if (lsn < 0)
                {
                    Interlocked.Increment(ref _refusedFull);
                    submission.Done.TrySetResult(SubmitOutcome.Full);
                    continue;
                }

                Interlocked.Increment(ref _batchesStored);
                await _work.Writer.WriteAsync(new Work(submission.Batch, lsn, WorkKind.Batch, null)).ConfigureAwait(false);
                submission.Done.TrySetResult(SubmitOutcome.Stored);
            }

            inFlight.Clear();
        }
    }

    private Task<long> AppendAsync(IngestBatch batch) => _wal.AppendAsync(RecordPriority.Counter, batch.Payload).AsTask();

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.TickInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await _work.Writer.WriteAsync(new Work(default, 0, WorkKind.Tick, null), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>The single owner of the aggregation state: applies batches in log order, ticks, flushes and checkpoints.</summary>
    private async Task ApplyAsync()
    {
        var reader = _work.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var work))
            {
                try
                {
                    switch (work.Kind)
                    {
                        case WorkKind.Batch:
                            Apply(work.Batch);
                            Interlocked.Exchange(ref _appliedLsn, work.Lsn);
                            break;
                        case WorkKind.Tick:
                            await TickStateAsync().ConfigureAwait(false);
                            break;
                        default:
                            await CheckpointNowAsync().ConfigureAwait(false);
                            work.Done?.TrySetResult();
                            break;
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // The log still holds everything since the last checkpoint: a failed flush or checkpoint is retried
                    // at the next tick and nothing acknowledged is lost. Any other failure (a bug met by one batch) is
                    // logged and counted, and the loop goes on: one bad batch must not stop intake.
                    Interlocked.Increment(ref _loopFailures);
                    LogLoopFailed(_logger, work.Kind == WorkKind.Batch ? $"batch at log position {work.Lsn}" : work.Kind.ToString(), ex);
                    work.Done?.TrySetException(ex);
                }
            }
        }

        try
        {
            await CheckpointNowAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            LogLoopFailed(_logger, "final checkpoint", ex);
        }
    }

    private async Task TickStateAsync()
    {
        _aggregator.FlushIdle();
        if (_aggregator.Watermark is { } watermark)
        {
            _rollups.Advance(watermark);
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now - Interlocked.Read(ref _lastCheckpointMs) >= (long)_options.CheckpointInterval.TotalMilliseconds)
        {
            await CheckpointNowAsync().ConfigureAwait(false);
        }
        else if (now - _lastFlushMs >= (long)_options.FlushInterval.TotalMilliseconds)
        {
            await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            _lastFlushMs = now;
        }
    }

    private void Apply(in IngestBatch batch)
    {
        if (BatchIdWindow.ToId(batch.BatchId) is { } batchId)
        {
            _appliedIds.TryClaim(batchId);
        }

        var wantsReadings = _output.WantsReadings;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var point in batch.Points)
        {
            var result = _aggregator.Update(point.SeriesId, point.TimestampMs, point.Value, now);
            switch (result)
            {
                case UpdateResult.Accepted:
                case UpdateResult.Corrected:
                    _readingsApplied++;
                    if (wantsReadings)
                    {
                        _output.WriteReading(_catalog[point.SeriesId], point.TimestampMs, point.Value);
                    }

                    break;
                case UpdateResult.Duplicate:
                    _readingsDuplicate++;
                    break;
                default:
                    _readingsRejected++;
                    QuarantineApplied(point, result);
                    break;
            }
        }

        var passthrough = batch.Passthrough;
        while (!passthrough.IsEmpty)
        {
            var end = passthrough.IndexOf((byte)'\n');
            _output.WritePassthrough(passthrough[..end]);
            _passthroughLines++;
            passthrough = passthrough[(end + 1)..];
        }
    }

    /// <summary>A stored reading the core refused (older than its late-data history, or ahead of its clock): kept in quarantine.</summary>
    private void QuarantineApplied(PointRecord point, UpdateResult result)
    {
        var series = _catalog[point.SeriesId];
        var reason = result == UpdateResult.TooLate ? RejectionReason.TooLate : RejectionReason.InvalidValue;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"meter,site={series.SiteId},meter={series.MeterId} {series.Field}={point.Value:R} {point.TimestampMs * 1_000_000}");
        _quarantine.Add("aggregation", 0, reason, reason == RejectionReason.TooLate
            ? "older than the history kept for late data: its split between intervals is lost"
            : "not finite or too far ahead of the server's clock", Encoding.UTF8.GetBytes(line), series.SiteId, point.TimestampMs);
    }

    private async Task CheckpointNowAsync()
    {
        var started = Stopwatch.GetTimestamp();
        await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        var lsn = Interlocked.Read(ref _appliedLsn);
        var path = Path.Combine(_options.DataDirectory, CheckpointFile);
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            using (var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(CheckpointMagic);
                writer.Write(lsn);
                _appliedIds.Save(writer);
            }

            _aggregator.SaveState(file);
            _rollups.SaveState(file);
            _output.SaveState(file);
            await file.FlushAsync().ConfigureAwait(false);
            file.Flush(flushToDisk: _options.Fsync);
        }

        File.Move(temporary, path, overwrite: true);
        _wal.Acknowledge(lsn);
        _quarantine.SaveHours();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Interlocked.Exchange(ref _checkpointLsn, lsn);
        Interlocked.Exchange(ref _lastCheckpointMs, now);
        _lastFlushMs = now;
        var elapsed = Stopwatch.GetElapsedTime(started);
        LogCheckpoint(_logger, lsn, elapsed.TotalMilliseconds);
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(_options.DataDirectory, CheckpointFile);
        long after = 0;
        if (File.Exists(path))
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(file, Encoding.UTF8, leaveOpen: true);
            if (reader.ReadUInt32() != CheckpointMagic)
            {
                throw new InvalidDataException($"{path} is not a checkpoint");
            }

            after = reader.ReadInt64();
            _appliedIds.Load(reader);
            _batchIds.Load(_appliedIds);
            _aggregator.LoadState(file);
            _rollups.LoadState(file);
            _output.LoadState(file);
            LogCheckpointLoaded(_logger, path, after);
        }

        var replayed = 0L;
        var readings = 0L;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var records = _wal.Peek(4096, 256 << 20, after);
            if (records.Count == 0)
            {
                break;
            }

            foreach (var record in records)
            {
                var batch = IngestBatch.Read(record.Payload);
                if (BatchIdWindow.ToId(batch.BatchId) is { } id)
                {
                    _batchIds.TryClaim(id);
                }

                Apply(batch);
                readings += batch.PointCount;
                after = record.Sequence;
                replayed++;
            }
        }

        _appliedLsn = after;
        _checkpointLsn = after;
        _replayedBatches = replayed;
        _lastCheckpointMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (replayed > 0)
        {
            LogReplayed(_logger, replayed, readings);
            await CheckpointNowAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write-ahead log repaired at start: {Problem}")]
    private static partial void LogWalRepaired(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Write-ahead log append failed; the write is refused and will be retried by its sender")]
    private static partial void LogWalFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Aggregation loop: {Step} failed; the log keeps everything since the last checkpoint")]
    private static partial void LogLoopFailed(ILogger logger, string step, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Checkpoint at log position {Lsn} in {Milliseconds:F1} ms")]
    private static partial void LogCheckpoint(ILogger logger, long lsn, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint {Path} loaded (log position {Lsn})")]
    private static partial void LogCheckpointLoaded(ILogger logger, string path, long lsn);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Batches} write(s), {Readings} reading(s) from the write-ahead log")]
    private static partial void LogReplayed(ILogger logger, long batches, long readings);

    private enum WorkKind
    {
        Batch,
        Tick,
        Checkpoint,
    }

    private readonly record struct Work(IngestBatch Batch, long Lsn, WorkKind Kind, TaskCompletionSource? Done);

    private sealed class Submission(IngestBatch batch, string? batchId)
    {
        public IngestBatch Batch { get; } = batch;

        public string? BatchId { get; } = batchId;

        public TaskCompletionSource<SubmitOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The pipeline's figures.</summary>
public sealed record IngestStatistics(
    long BatchesStored,
    long BatchesDuplicate,
    long RefusedBusy,
    long RefusedFull,
    long ReadingsApplied,
    long ReadingsDuplicate,
    long ReadingsRejected,
    long PassthroughLines,
    long ReplayedBatches,
    long WalRecords,
    long WalBytes,
    int SubmitQueueDepth,
    int ApplyQueueDepth,
    long AppliedLsn,
    long CheckpointLsn,
    DateTimeOffset? LastCheckpoint,
    DateTimeOffset? Watermark,
    long LoopFailures);
