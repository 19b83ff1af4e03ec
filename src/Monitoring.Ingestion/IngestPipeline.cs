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
    private const string PreviousCheckpointFile = "checkpoint.prev.bin";
    private const uint CheckpointMagicV1 = 0x4B434D4D; // "MMCK": batch ids only
    private const uint CheckpointMagic = 0x32434D4D; // "MMC2": batch ids and the agents' high-water marks

    /// <summary>The largest log record a write takes; a larger write is stored as several records of one group.</summary>
    public const int MaxRecordBytes = 4 << 20;

    // The registry in force: replaced by a reload (ReloadAsync) on the applier's thread while the submit gate is
    // closed; read by writers (to resolve readings) and by the applier.
    private volatile SeriesCatalog _catalog;
    private IntervalAggregator _aggregator;
    private RollupEngine _rollups;
    private readonly SubmitGate _gate = new();
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private SeriesTranslation? _translation;
    private readonly IPipelineOutput _output;
    private readonly Quarantine _quarantine;
    private readonly IngestPipelineOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DiskBuffer _wal;

    // Keys of the batches in the log (stored, maybe not yet applied): a batch sent again is a duplicate.
    private readonly BatchIdWindow _stored = new();

    // Keys of the batches applied (so in the log or covered by a checkpoint): the only ones a checkpoint may keep.
    // A key still on its way to the log must not survive a crash, or the sender's retry would be taken for a
    // duplicate of a batch that was never stored.
    private readonly BatchIdWindow _appliedIds = new();

    // Writes on their way to the log, by key: the same batch sent again meanwhile waits for this one's outcome.
    private readonly Dictionary<string, Submission> _inFlight = new(StringComparer.Ordinal);
    private readonly List<IngestBatch> _pendingParts = [];
    private readonly Channel<Submission> _submissions;
    private readonly Channel<Work> _work;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SupervisedLoop _logWriterLoop;
    private readonly SupervisedLoop _applierLoop;
    private readonly SupervisedLoop _tickerLoop;
    private readonly List<(Submission Submission, Task<long>[] Appends)> _appending = new(256);
    private Task _logWriter = Task.CompletedTask;
    private Task _applier = Task.CompletedTask;
    private Task _ticker = Task.CompletedTask;
    private long _queuedBytes;

    // The log position of the checkpoint kept as checkpoint.prev.bin: the log keeps what follows it, so that a
    // damaged checkpoint.bin can be rebuilt from the previous one and the log.
    private long _previousCheckpointLsn;

    // Series ids of the log's records written before a restart, mapped to the current registry's (null: the same).
    private int[]? _replayMap;
    private long _readingsOfRemovedSeries;
    private long _refusedFailed;
    private string? _walError;
    private long _walErrorAtMs;
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
        (_aggregator, _rollups) = CreateCore(topology);
        Agents = new AgentDirectory(options.MaxAgentsPerSite);
        _submissions = Channel.CreateBounded<Submission>(new BoundedChannelOptions(options.SubmitQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _work = Channel.CreateBounded<Work>(new BoundedChannelOptions(options.ApplyQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _logWriterLoop = new SupervisedLoop("write-ahead log writer", logger, time, () => _submissions.Reader.Count > 0);
        _applierLoop = new SupervisedLoop("aggregation", logger, time, () => _work.Reader.Count > 0);
        _tickerLoop = new SupervisedLoop("aggregation clock", logger, time);
        Dead = Task.WhenAny(_logWriterLoop.Dead, _applierLoop.Dead, _tickerLoop.Dead).Unwrap();
    }

    private (IntervalAggregator Aggregator, RollupEngine Rollups) CreateCore(RollupTopology topology)
    {
        var rollups = new RollupEngine(topology, _output, _options.Rollups);
        return (new IntervalAggregator(topology.Catalog, new FanOutIntervalSink(_output, rollups), _options.Aggregation, _time), rollups);
    }

    /// <summary>Completes, with the reason, when one of the pipeline's loops gave up: the process must stop (non-zero exit).</summary>
    public Task<string> Dead { get; }

    /// <summary>The pipeline's loops, for <c>/health</c>.</summary>
    public IReadOnlyList<LoopStatus> Loops => [_logWriterLoop.Status, _applierLoop.Status, _tickerLoop.Status];

    /// <summary>The last failure of the write-ahead log (disk full, I/O error) while it lasts; null once an append succeeded again.</summary>
    public (string Reason, DateTimeOffset At)? WalFailure
    {
        get
        {
            var reason = Volatile.Read(ref _walError);
            return reason is null ? null : (reason, DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _walErrorAtMs)));
        }
    }

    /// <summary>The folder of the write-ahead log (for the health page: which file system).</summary>
    public string WalDirectory => Path.Combine(_options.DataDirectory, "wal");

    /// <summary>The registry in force (writes resolve their readings against it; a reload replaces it).</summary>
    public SeriesCatalog Catalog => _catalog;

    public Quarantine Quarantine => _quarantine;

    /// <summary>The agents each site has reported health for (bounded by <see cref="IngestPipelineOptions.MaxAgentsPerSite"/>).</summary>
    public AgentDirectory Agents { get; }

    public IngestPipelineOptions Options => _options;

    /// <summary>Figures for <c>/metrics</c> and <c>/health</c> (read from any thread; each figure is consistent on its own).</summary>
    public IngestStatistics Statistics
    {
        get
        {
            var wal = _wal.Statistics;
            return new IngestStatistics(
                Interlocked.Read(ref _batchesStored), Interlocked.Read(ref _batchesDuplicate), Interlocked.Read(ref _refusedBusy), Interlocked.Read(ref _refusedFull),
                Interlocked.Read(ref _refusedFailed), Interlocked.Read(ref _queuedBytes),
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
        pipeline._logWriter = pipeline._logWriterLoop.RunAsync(pipeline.WriteLogAsync, pipeline.FailAppending);
        pipeline._applier = pipeline._applierLoop.RunAsync(pipeline.ApplyAsync);
        pipeline._ticker = pipeline._tickerLoop.RunAsync(() => pipeline.TickAsync(pipeline._stopping.Token));
        return pipeline;
    }

    /// <summary>
    /// Stores a validated write. Returns once it is in the write-ahead log (fsynced) or refused; never waits for the
    /// aggregation. A batch key stored before is acknowledged as a duplicate without being stored again; the same key
    /// while the first copy is on its way to the log waits for it and gets its answer.
    /// </summary>
    public ValueTask<SubmitOutcome> SubmitAsync(IngestBatch batch, CancellationToken cancellationToken = default) =>
        SubmitAsync([batch], resolvedWith: null, cancellationToken);

    /// <inheritdoc cref="SubmitAsync(IngestBatch, CancellationToken)"/>
    /// <param name="records">One whole batch, or the parts of one group (<see cref="IngestBatch.CreateRecords"/>), in order.</param>
    /// <param name="cancellationToken">Stops the wait only: a write on its way to the log finishes.</param>
    public ValueTask<SubmitOutcome> SubmitAsync(IReadOnlyList<IngestBatch> records, CancellationToken cancellationToken = default) =>
        SubmitAsync(records, resolvedWith: null, cancellationToken);

    /// <inheritdoc cref="SubmitAsync(IReadOnlyList{IngestBatch}, CancellationToken)"/>
    /// <param name="resolvedWith">
    /// The registry the readings' series ids come from (<see cref="Catalog"/> when the write was read); when a reload
    /// replaced it meanwhile, the ids are translated to the new one and the readings of a series it removed are
    /// quarantined. Null: the current one.
    /// </param>
    public async ValueTask<SubmitOutcome> SubmitAsync(IReadOnlyList<IngestBatch> records, SeriesCatalog? resolvedWith, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        if (_stopping.IsCancellationRequested)
        {
            return SubmitOutcome.Stopping;
        }

        await _gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        var inside = true;
        try
        {
            if (_stopping.IsCancellationRequested)
            {
                return SubmitOutcome.Stopping;
            }

            if (resolvedWith is not null && !ReferenceEquals(resolvedWith, _catalog))
            {
                records = Translate(records, resolvedWith);
            }

            var key = BatchIdWindow.ToId(records[0].BatchId);
            var submission = new Submission(records, key);
            if (key is not null)
            {
                Submission? original;
                lock (_inFlight)
                {
                    if (_stored.Contains(key))
                    {
                        Interlocked.Increment(ref _batchesDuplicate);
                        return SubmitOutcome.Duplicate;
                    }

                    if (!_inFlight.TryGetValue(key, out original))
                    {
                        _inFlight[key] = submission;
                    }
                }

                if (original is not null)
                {
                    inside = false;
                    _gate.Exit();
                    var first = await original.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (first is SubmitOutcome.Stored or SubmitOutcome.Duplicate)
                    {
                        Interlocked.Increment(ref _batchesDuplicate);
                        return SubmitOutcome.Duplicate;
                    }

                    return first;
                }
            }

            // From here the write leaves the gate when it is settled (Finish), not when its caller stops waiting: a
            // reload must not start while it may still reach the log.
            inside = false;

            // Bounded in bytes as well as in writes; one write larger than the whole budget still goes when nothing waits.
            var queued = Interlocked.Add(ref _queuedBytes, submission.Bytes);
            if (queued > _options.QueueMaxBytes && queued != submission.Bytes)
            {
                Interlocked.Increment(ref _refusedBusy);
                Finish(submission, SubmitOutcome.Busy);
            }
            else if (!_submissions.Writer.TryWrite(submission))
            {
                Interlocked.Increment(ref _refusedBusy);
                Finish(submission, SubmitOutcome.Busy);
            }

            // The outcome is the submission's, whatever happens to this caller: a cancelled wait leaves the write to finish.
            return await submission.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (inside)
            {
                _gate.Exit();
            }
        }
    }

    /// <summary>A write read under a registry that a reload has replaced since: its readings get the new registry's series ids.</summary>
    private IngestBatch[] Translate(IReadOnlyList<IngestBatch> records, SeriesCatalog from)
    {
        var current = _catalog;
        var translation = Volatile.Read(ref _translation);
        if (translation is null || !ReferenceEquals(translation.From, from) || !ReferenceEquals(translation.To, current))
        {
            translation = new SeriesTranslation(from, current,
                [.. from.Series.Select(series => current.TryGetSeries(series.SiteId, series.MeterId, series.Field, out var id) ? id : -1)]);
            Volatile.Write(ref _translation, translation);
        }

        var removed = new List<PointRecord>();
        var translated = records.Select(record => record.WithSeries(translation.Map, removed)).ToArray();
        foreach (var point in removed)
        {
            Interlocked.Increment(ref _readingsOfRemovedSeries);
            QuarantinePoint(from[point.SeriesId], point, RejectionReason.UnknownMeter,
                "its meter or field was removed from the registry by a reload while the write was on its way");
        }

        return translated;
    }

    /// <summary>
    /// Puts a new registry in force while writes go on. New writes wait at the log's door (they are not refused) while
    /// the ones inside settle; the aggregation applies everything before them under the old registry, closes the open
    /// intervals of what the new one removes (INCOMPLETE where not covered), carries every other series' and roll-up's
    /// state over by key, checkpoints, and the door opens. Readings of a new meter are accepted from the next write on.
    /// When the checkpoint cannot be written the old registry is put back and the exception thrown.
    /// </summary>
    public async Task<RegistrySwap> ReloadAsync(RollupTopology next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        await _reloading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var held = Stopwatch.GetTimestamp();
            await _gate.CloseAsync().ConfigureAwait(false);
            try
            {
                var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
                await _work.Writer.WriteAsync(new Work(default, 0, WorkKind.Reload, done, next), CancellationToken.None).ConfigureAwait(false);
                var swap = (RegistrySwap)(await done.Task.ConfigureAwait(false))!;
                return swap with { WritesHeld = Stopwatch.GetElapsedTime(held) };
            }
            finally
            {
                _gate.Open();
            }
        }
        finally
        {
            _reloading.Release();
        }
    }

    /// <summary>Settles a submission: its key leaves the in-flight table (into the stored window when stored).</summary>
    private void Finish(Submission submission, SubmitOutcome outcome)
    {
        if (submission.Key is { } key)
        {
            lock (_inFlight)
            {
                if (outcome == SubmitOutcome.Stored)
                {
                    _stored.TryClaim(key);
                }

                _inFlight.Remove(key);
            }
        }

        if (outcome != SubmitOutcome.Stored)
        {
            // Stored bytes leave the budget when they are applied.
            Interlocked.Add(ref _queuedBytes, -submission.Bytes);
        }

        if (submission.Done.TrySetResult(outcome))
        {
            _gate.Exit();
        }
    }

    /// <summary>Applies what is queued, makes the output durable, checkpoints and truncates the log (tests, shutdown).</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>
    /// One writer appends in arrival order; appends overlap so that one fsync covers many writes. Each write gets an
    /// outcome whatever happens: a failed append (disk full, I/O error) refuses that write, and the loop goes on.
    /// </summary>
    private async Task WriteLogAsync()
    {
        var reader = _submissions.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Awake with work: stuck is "no progress since this moment", not since the last write of a quiet hour.
            _logWriterLoop.Progress();
            while (_appending.Count < 256 && reader.TryRead(out var submission))
            {
                _appending.Add((submission, [.. submission.Records.Select(AppendAsync)]));
            }

            for (var i = 0; i < _appending.Count; i++)
            {
                var (submission, appends) = _appending[i];
                var lsns = new long[appends.Length];
                SubmitOutcome? refused = null;
                for (var part = 0; part < appends.Length; part++)
                {
                    try
                    {
                        lsns[part] = await appends[part].ConfigureAwait(false);
                        refused ??= lsns[part] < 0 ? SubmitOutcome.Full : null;
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // Parts already in the log are an incomplete group: replay skips them.
                        WalFailed(ex);
                        refused ??= SubmitOutcome.Failed;
                    }
                }

                if (refused is { } outcome)
                {
                    Interlocked.Increment(ref outcome == SubmitOutcome.Full ? ref _refusedFull : ref _refusedFailed);
                    Finish(submission, outcome);
                    continue;
                }

                Volatile.Write(ref _walError, null);
                Interlocked.Increment(ref _batchesStored);
                for (var part = 0; part < lsns.Length; part++)
                {
                    await _work.Writer.WriteAsync(new Work(submission.Records[part], lsns[part], WorkKind.Batch, null)).ConfigureAwait(false);
                }

                Finish(submission, SubmitOutcome.Stored);
                _logWriterLoop.Progress();
            }

            _appending.Clear();
        }
    }

    /// <summary>The log writer failed outside one write: the writes it held are refused (their senders retry).</summary>
    private void FailAppending(Exception exception)
    {
        Interlocked.Increment(ref _loopFailures);
        foreach (var (submission, _) in _appending)
        {
            if (!submission.Done.Task.IsCompleted)
            {
                Interlocked.Increment(ref _refusedFailed);
                Finish(submission, SubmitOutcome.Failed);
            }
        }

        _appending.Clear();
    }

    private void WalFailed(Exception exception)
    {
        Interlocked.Exchange(ref _walErrorAtMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
        if (Interlocked.Exchange(ref _walError, exception.Message) is null)
        {
            LogWalFailed(_logger, WalDirectory, exception);
        }
    }

    private Task<long> AppendAsync(IngestBatch batch)
    {
        try
        {
            return _wal.AppendAsync(RecordPriority.Counter, batch.Payload).AsTask();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromException<long>(ex);
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.TickInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await _work.Writer.WriteAsync(new Work(default, 0, WorkKind.Tick, null), cancellationToken).ConfigureAwait(false);
                _tickerLoop.Progress();
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
            _applierLoop.Progress();
            while (reader.TryRead(out var work))
            {
                try
                {
                    switch (work.Kind)
                    {
                        case WorkKind.Batch:
                            Interlocked.Add(ref _queuedBytes, -work.Batch.Payload.Length);
                            if (TakePart(work.Batch) is { } group)
                            {
                                foreach (var batch in group)
                                {
                                    Apply(batch);
                                }

                                Interlocked.Exchange(ref _appliedLsn, work.Lsn);
                            }

                            break;
                        case WorkKind.Tick:
                            await TickStateAsync().ConfigureAwait(false);
                            break;
                        case WorkKind.Reload:
                            work.Done!.TrySetResult(await SwapRegistryAsync(work.Topology!).ConfigureAwait(false));
                            break;
                        default:
                            await CheckpointNowAsync().ConfigureAwait(false);
                            work.Done?.TrySetResult(null);
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

                _applierLoop.Progress();
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

    /// <summary>
    /// A whole batch is applied as it comes; the parts of a group are held until the last one and then applied
    /// together (null meanwhile). A part out of order ends the group held so far, which was never acknowledged.
    /// </summary>
    private IngestBatch[]? TakePart(IngestBatch batch)
    {
        if (_pendingParts.Count > 0 && (batch.PartCount == 1 || batch.Group != _pendingParts[0].Group || batch.PartIndex != _pendingParts.Count))
        {
            LogIncompleteGroup(_logger, _pendingParts.Count, _pendingParts[0].PartCount);
            _pendingParts.Clear();
        }

        if (batch.PartCount == 1)
        {
            return [batch];
        }

        if (batch.PartIndex != _pendingParts.Count)
        {
            LogIncompleteGroup(_logger, 0, batch.PartCount);
            return null;
        }

        _pendingParts.Add(batch);
        if (_pendingParts.Count < batch.PartCount)
        {
            return null;
        }

        var group = _pendingParts.ToArray();
        _pendingParts.Clear();
        return group;
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

    /// <summary>
    /// The applier's half of <see cref="ReloadAsync"/>: everything logged before is applied; what the new registry
    /// removes is closed; the state moves to the new registry by key (as at a restart under it); a checkpoint makes the
    /// log's series ids those of the new registry from here on. A failed checkpoint puts the old registry back.
    /// </summary>
    private async Task<RegistrySwap> SwapRegistryAsync(RollupTopology next)
    {
        var previous = _rollups.Topology;
        using var before = new MemoryStream();
        _aggregator.SaveState(before);
        _rollups.SaveState(before);
        _output.SaveState(before);
        RegistrySwap swap;
        try
        {
            var seriesClosed = _aggregator.CloseRemoved(next.Catalog);
            var targetsClosed = _rollups.CloseRemoved(next);
            using var state = new MemoryStream();
            _aggregator.SaveState(state);
            _rollups.SaveState(state);
            var (aggregator, rollups) = CreateCore(next);
            state.Position = 0;
            var series = aggregator.LoadState(state);
            var targets = rollups.LoadState(state);
            _output.Rebind(next);
            (_aggregator, _rollups, _catalog) = (aggregator, rollups, next.Catalog);
            var reconciled = aggregator.ReconcileReplacements();
            swap = new RegistrySwap(series.Kept, series.Added, series.Removed, seriesClosed, targets.Kept, targets.Added, targets.Removed.Count, targetsClosed,
                reconciled, aggregator.ReplacementsTooLate, TimeSpan.Zero);
            await CheckpointNowAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The checkpoint on disk is still the old registry's, and so are the log's ids: the state goes back to it.
            var (aggregator, rollups) = CreateCore(previous);
            _output.Rebind(previous);
            before.Position = 0;
            aggregator.LoadState(before);
            rollups.LoadState(before);
            _output.LoadState(before);
            (_aggregator, _rollups, _catalog) = (aggregator, rollups, previous.Catalog);
            LogReloadUndone(_logger, ex);
            throw;
        }

        ForgetOldRegistry();
        LogRegistryReloaded(_logger, swap.SeriesKept, swap.SeriesAdded, swap.SeriesRemoved.Count, swap.SeriesClosed, swap.TargetsKept, swap.TargetsAdded, swap.TargetsRemoved,
            swap.ReplacementsReconciled, swap.ReplacementsTooLate);
        return swap;
    }

    private void Apply(in IngestBatch batch)
    {
        if (BatchIdWindow.ToId(batch.BatchId) is { } batchId)
        {
            _appliedIds.TryClaim(batchId);
        }

        var wantsReadings = _output.WantsReadings;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var map = _replayMap;
        foreach (var point in batch.Points)
        {
            var seriesId = point.SeriesId;
            if (map is not null)
            {
                // A record of the log written under the registry of the checkpoint, replayed under the current one.
                seriesId = (uint)seriesId < (uint)map.Length ? map[seriesId] : -1;
                if (seriesId < 0)
                {
                    Interlocked.Increment(ref _readingsOfRemovedSeries);
                    continue;
                }
            }

            var result = _aggregator.Update(seriesId, point.TimestampMs, point.Value, now);
            switch (result)
            {
                case UpdateResult.Accepted:
                case UpdateResult.Corrected:
                    _readingsApplied++;
                    if (wantsReadings)
                    {
                        _output.WriteReading(_catalog[seriesId], point.TimestampMs, point.Value);
                    }

                    break;
                case UpdateResult.Duplicate:
                    _readingsDuplicate++;
                    break;
                default:
                    _readingsRejected++;
                    var tooLate = result == UpdateResult.TooLate;
                    QuarantinePoint(_catalog[seriesId], point, tooLate ? RejectionReason.TooLate : RejectionReason.InvalidValue, tooLate
                        ? "older than the history kept for late data: its split between intervals is lost"
                        : "not finite or too far ahead of the server's clock");
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

    /// <summary>A validated reading that was not applied after all (the core refused it, or a reload removed its series): kept in quarantine.</summary>
    private void QuarantinePoint(SeriesInfo series, PointRecord point, RejectionReason reason, string message)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"meter,site={series.SiteId},meter={series.MeterId} {series.Field}={point.Value:R} {point.TimestampMs * 1_000_000}");
        _quarantine.Add("aggregation", 0, reason, message, Encoding.UTF8.GetBytes(line), series.SiteId, point.TimestampMs);
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
            var checksummed = new CheckpointFileStream(file);
            using (var writer = new BinaryWriter(checksummed, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(CheckpointMagic);
                writer.Write(lsn);
                _appliedIds.Save(writer);
            }

            _aggregator.SaveState(checksummed);
            _rollups.SaveState(checksummed);
            _output.SaveState(checksummed);
            checksummed.WriteTrailer();
            await file.FlushAsync().ConfigureAwait(false);
            file.Flush(flushToDisk: _options.Fsync);
        }

        // The checkpoint before this one stays as checkpoint.prev.bin, with the log since it.
        var previous = Path.Combine(_options.DataDirectory, PreviousCheckpointFile);
        var keepFrom = Interlocked.Read(ref _checkpointLsn);
        if (File.Exists(path))
        {
            File.Move(path, previous, overwrite: true);
        }

        File.Move(temporary, path, overwrite: true);
        if (_options.Fsync)
        {
            // The renames must be durable before the log behind them is truncated.
            DirectorySync.Flush(_options.DataDirectory);
        }

        _wal.Acknowledge(Math.Min(keepFrom, lsn));
        _previousCheckpointLsn = keepFrom;
        _quarantine.SaveHours();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Interlocked.Exchange(ref _checkpointLsn, lsn);
        Interlocked.Exchange(ref _lastCheckpointMs, now);
        _lastFlushMs = now;
        var elapsed = Stopwatch.GetElapsedTime(started);
        LogCheckpoint(_logger, lsn, elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// After a start under a changed registry: the log before the new checkpoint holds series ids of the old one and
    /// the previous checkpoint its keys; neither may be used again.
    /// </summary>
    private void ForgetOldRegistry()
    {
        File.Delete(Path.Combine(_options.DataDirectory, PreviousCheckpointFile));
        var lsn = Interlocked.Read(ref _checkpointLsn);
        _wal.Acknowledge(lsn);
        _previousCheckpointLsn = lsn;
        _replayMap = null;
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(_options.DataDirectory, CheckpointFile);
        var previous = Path.Combine(_options.DataDirectory, PreviousCheckpointFile);
        long after = 0;
        var registryChanged = false;
        var existed = File.Exists(path) || File.Exists(previous);
        var chosen = ChooseCheckpoint(path, previous);
        if (chosen is not null)
        {
            await using var file = new FileStream(chosen, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(file, Encoding.UTF8, leaveOpen: true);
            var magic = reader.ReadUInt32();
            if (magic is not (CheckpointMagic or CheckpointMagicV1))
            {
                throw new InvalidDataException($"{chosen} is not a checkpoint");
            }

            after = reader.ReadInt64();
            _appliedIds.Load(reader, withHighWater: magic == CheckpointMagic);
            _stored.Load(_appliedIds);
            var series = _aggregator.LoadState(file);
            var targets = _rollups.LoadState(file);
            _output.LoadState(file);
            LogCheckpointLoaded(_logger, chosen, after);
            if (_aggregator.ReconcileReplacements() is var reconciled and > 0)
            {
                LogReplacementsReconciled(_logger, reconciled, _aggregator.ReplacementsTooLate);
                registryChanged = true;
            }
            if (series.Removed.Count > 0 || series.Added > 0 || targets.Removed.Count > 0 || targets.Added > 0 || series.Map.Where((id, i) => id != i).Any())
            {
                registryChanged = true;
                _replayMap = series.Map;
                LogRegistryChanged(_logger, series.Kept, series.Added, series.Removed.Count, targets.Kept, targets.Added, targets.Removed.Count,
                    string.Join(", ", series.Removed.Take(10)));
            }

            if (chosen == previous)
            {
                _previousCheckpointLsn = after;
            }
            else if (File.Exists(previous) && CheckpointFileStream.Verify(previous, out _) is null)
            {
                _previousCheckpointLsn = ReadLsn(previous);
            }
            else
            {
                _previousCheckpointLsn = after;
            }
        }

        var replayed = 0L;
        var readings = 0L;
        var cursor = after;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var records = _wal.Peek(4096, 256 << 20, cursor);
            if (records.Count == 0)
            {
                break;
            }

            foreach (var record in records)
            {
                cursor = record.Sequence;
                var batch = IngestBatch.Read(record.Payload);
                if (TakePart(batch) is not { } group)
                {
                    continue;
                }

                foreach (var part in group)
                {
                    if (BatchIdWindow.ToId(part.BatchId) is { } id)
                    {
                        _stored.TryClaim(id);
                    }

                    Apply(part);
                    readings += part.PointCount;
                }

                after = record.Sequence;
                replayed++;
            }
        }

        if (_pendingParts.Count > 0)
        {
            // The log ends inside a group: the write was never acknowledged, its sender sends it again.
            LogIncompleteGroup(_logger, _pendingParts.Count, _pendingParts[0].PartCount);
            _pendingParts.Clear();
        }

        _appliedLsn = after;
        _checkpointLsn = after;
        _replayedBatches = replayed;
        _lastCheckpointMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (replayed > 0)
        {
            LogReplayed(_logger, replayed, readings, _readingsOfRemovedSeries);
        }

        // A first start writes a checkpoint at once, so that the log's series ids always have the registry they were
        // written under beside them; a start under a changed registry too, before anything else is logged.
        if (replayed > 0 || !existed || registryChanged || chosen != path)
        {
            await CheckpointNowAsync().ConfigureAwait(false);
        }

        if (registryChanged)
        {
            ForgetOldRegistry();
        }
    }

    /// <summary>
    /// The checkpoint to start from: <c>checkpoint.bin</c> when its checksum holds, else <c>checkpoint.prev.bin</c>
    /// (the log since it is kept), null when there is none; throws when every one there is damaged.
    /// </summary>
    private string? ChooseCheckpoint(string path, string previous)
    {
        if (!File.Exists(path) && !File.Exists(previous))
        {
            return null;
        }

        var legacy = false;
        var problem = File.Exists(path) ? CheckpointFileStream.Verify(path, out legacy) : "missing";
        if (problem is null)
        {
            if (legacy)
            {
                LogLegacyCheckpoint(_logger, path);
            }

            return path;
        }

        var previousProblem = File.Exists(previous) ? CheckpointFileStream.Verify(previous, out _) : "missing";
        if (previousProblem is null)
        {
            LogCheckpointDamaged(_logger, path, problem, previous);
            return previous;
        }

        throw new InvalidDataException(
            $"{path} is damaged ({problem}) and so is {previous} ({previousProblem}): move both away to start the aggregation afresh from the write-ahead log alone (what the log no longer holds is lost from the intervals)");
    }

    private static long ReadLsn(string checkpoint)
    {
        using var file = new FileStream(checkpoint, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var reader = new BinaryReader(file);
        reader.ReadUInt32();
        return reader.ReadInt64();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write-ahead log repaired at start: {Problem}")]
    private static partial void LogWalRepaired(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Write-ahead log in {Directory}: an append failed; writes are refused (503) until appends succeed again")]
    private static partial void LogWalFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write-ahead log: a write stored in parts ends after {Parts} of {Count} parts; it was never acknowledged and is skipped")]
    private static partial void LogIncompleteGroup(ILogger logger, int parts, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Aggregation loop: {Step} failed; the log keeps everything since the last checkpoint")]
    private static partial void LogLoopFailed(ILogger logger, string step, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Checkpoint at log position {Lsn} in {Milliseconds:F1} ms")]
    private static partial void LogCheckpoint(ILogger logger, long lsn, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint {Path} loaded (log position {Lsn})")]
    private static partial void LogCheckpointLoaded(ILogger logger, string path, long lsn);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Batches} write(s), {Readings} reading(s) from the write-ahead log ({Removed} of series the registry no longer has)")]
    private static partial void LogReplayed(ILogger logger, long batches, long readings, long removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The registry changed since the checkpoint: {Kept} series continue, {Added} new, {Removed} gone (their open intervals end here; e.g. {Examples}); roll-up targets: {TargetsKept} continue, {TargetsAdded} new, {TargetsRemoved} gone")]
    private static partial void LogRegistryChanged(ILogger logger, int kept, int added, int removed, int targetsKept, int targetsAdded, int targetsRemoved, string examples);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meter replacements declared since the checkpoint: {Series} series computed again from their remembered readings (corrections follow); {TooLate} too old to correct")]
    private static partial void LogReplacementsReconciled(ILogger logger, int series, long tooLate);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checkpoint {Path} is damaged ({Problem}): starting from {Previous} and the write-ahead log since it")]
    private static partial void LogCheckpointDamaged(ILogger logger, string path, string problem, string previous);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint {Path} has no checksum (written by an earlier version): loaded as it is; the next one has one")]
    private static partial void LogLegacyCheckpoint(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry reloaded: {Kept} series continue, {Added} new, {Removed} gone ({Closed} of them had open intervals, now closed); roll-up targets: {TargetsKept} continue, {TargetsAdded} new, {TargetsRemoved} gone; {Reconciled} series recomputed for changed replacements ({TooLate} too old to correct)")]
    private static partial void LogRegistryReloaded(ILogger logger, int kept, int added, int removed, int closed, int targetsKept, int targetsAdded, int targetsRemoved, int reconciled, long tooLate);

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry reload undone: the checkpoint under the new registry could not be written; the previous registry stays in force")]
    private static partial void LogReloadUndone(ILogger logger, Exception exception);

    private enum WorkKind
    {
        Batch,
        Tick,
        Checkpoint,
        Reload,
    }

    private readonly record struct Work(IngestBatch Batch, long Lsn, WorkKind Kind, TaskCompletionSource<object?>? Done, RollupTopology? Topology = null);

    /// <summary>Series ids of one registry mapped to another's (−1: removed), for writes read across a reload.</summary>
    private sealed record SeriesTranslation(SeriesCatalog From, SeriesCatalog To, int[] Map);

    private sealed class Submission(IReadOnlyList<IngestBatch> records, string? key)
    {
        public IReadOnlyList<IngestBatch> Records { get; } = records;

        public string? Key { get; } = key;

        public long Bytes { get; } = records.Sum(r => (long)r.Payload.Length);

        public TaskCompletionSource<SubmitOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>What a registry reload changed (<see cref="IngestPipeline.ReloadAsync"/>).</summary>
/// <param name="SeriesClosed">Removed series whose open intervals were closed (INCOMPLETE where not covered).</param>
/// <param name="WritesHeld">How long new writes waited at the log's door.</param>
public sealed record RegistrySwap(
    int SeriesKept,
    int SeriesAdded,
    IReadOnlyList<string> SeriesRemoved,
    int SeriesClosed,
    int TargetsKept,
    int TargetsAdded,
    int TargetsRemoved,
    int TargetsClosed,
    int ReplacementsReconciled,
    long ReplacementsTooLate,
    TimeSpan WritesHeld);

/// <summary>The pipeline's figures.</summary>
public sealed record IngestStatistics(
    long BatchesStored,
    long BatchesDuplicate,
    long RefusedBusy,
    long RefusedFull,
    long RefusedFailed,
    long QueuedBytes,
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
