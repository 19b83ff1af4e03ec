using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Storage;

namespace Monitoring.Sinks.InfluxDb;

/// <summary>The sink's state for the server's <c>/health</c>.</summary>
/// <param name="Connected">The last write attempt reached the server and was answered (true before the first).</param>
/// <param name="Healthy">Connected, and the oldest batch has waited at most <see cref="InfluxSinkOptions.HealthyLag"/>.</param>
/// <param name="Lag">How long the oldest batch not yet confirmed has waited (zero when none waits).</param>
/// <param name="SpoolDropped">Spool records dropped because the spool was full or they grew too old.</param>
public sealed record SinkStatus(
    string Target,
    bool Connected,
    bool Healthy,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    DateTimeOffset? LastSuccessAt,
    long PendingRecords,
    TimeSpan Lag,
    long BatchesWritten,
    long LinesWritten,
    long BatchesRejected,
    long LinesRejected,
    long Failures,
    long SpoolDropped);

/// <summary>
/// Moves batches from the spool to the database in a background loop: oldest first, a batch leaves the spool only
/// when the server confirmed it (so every point arrives at least once, and rewriting a point is harmless). Transient
/// failures are retried with exponential backoff (or after the server's <c>Retry-After</c>); a batch the server
/// refuses for good is acknowledged, so it does not block the ones behind it, and kept in <c>{spool}/rejected</c>.
/// </summary>
public sealed partial class SinkForwarder : IAsyncDisposable
{
    private const int MaxRecordsPerPeek = 256;
    private const int MaxBytesPerPeek = 16 << 20;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    private readonly DiskBuffer _spool;
    private readonly IInfluxWriter _writer;
    private readonly InfluxSinkOptions _options;
    private readonly SinkMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _rejectedDirectory;
    private readonly Lock _lock = new();
    private readonly SupervisedLoop _supervision;
    private CancellationTokenSource? _stopping;
    private Task _loop = Task.CompletedTask;
    private long _oldestPendingMs = -1;
    private long _batchesWritten;
    private long _linesWritten;
    private long _batchesRejected;
    private long _linesRejected;
    private long _failures;
    private volatile bool _connected = true;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _lastSuccessAt;

    public SinkForwarder(
        DiskBuffer spool, IInfluxWriter writer, InfluxSinkOptions options, SinkMetrics? metrics = null,
        ILogger<SinkForwarder>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spool);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _spool = spool;
        _writer = writer;
        _options = options;
        _metrics = metrics;
        _logger = logger ?? NullLogger<SinkForwarder>.Instance;
        _time = time ?? TimeProvider.System;
        _rejectedDirectory = Path.Combine(options.SpoolDirectory, "rejected");
        _supervision = new SupervisedLoop("influxdb sink", _logger, _time, () => _spool.Statistics.Records > 0);
        metrics?.ObserveLag(() => Lag);
    }

    /// <summary>The forwarding loop's state (restarted after a failure outside a write, e.g. the spool's disk).</summary>
    public LoopStatus Loop => _supervision.Status;

    /// <summary>Completes, with the reason, when the loop gave up: the process must stop (non-zero exit).</summary>
    public Task<string> Dead => _supervision.Dead;

    public SinkStatus Status
    {
        get
        {
            var spool = _spool.Statistics;
            var lag = Lag;
            lock (_lock)
            {
                return new SinkStatus(
                    _writer.Description, _connected, _connected && lag <= _options.HealthyLag, _lastError, _lastErrorAt, _lastSuccessAt,
                    spool.Records, lag, Interlocked.Read(ref _batchesWritten), Interlocked.Read(ref _linesWritten),
                    Interlocked.Read(ref _batchesRejected), Interlocked.Read(ref _linesRejected), Interlocked.Read(ref _failures),
                    spool.DroppedCountersFull + spool.DroppedGaugesFull + spool.DroppedExpired);
            }
        }
    }

    private TimeSpan Lag
    {
        get
        {
            var oldest = Interlocked.Read(ref _oldestPendingMs);
            return oldest < 0 ? TimeSpan.Zero : _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(oldest);
        }
    }

    /// <summary>Starts the background loop (once).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_stopping is not null)
            {
                throw new InvalidOperationException("The forwarder is already started.");
            }

            _stopping = new CancellationTokenSource();
            var token = _stopping.Token;
            _loop = Task.Run(() => _supervision.RunAsync(() => RunAsync(token)));
        }
    }

    /// <summary>Stops the loop; a write in flight is abandoned and its batch sent again at the next start.</summary>
    public async Task StopAsync()
    {
        CancellationTokenSource? stopping;
        lock (_lock)
        {
            stopping = _stopping;
        }

        if (stopping is null)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        stopping.Dispose();
        lock (_lock)
        {
            _stopping = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = _options.MinBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            var records = _spool.Peek(MaxRecordsPerPeek, MaxBytesPerPeek);
            if (records.Count == 0)
            {
                _supervision.Progress();
                Interlocked.Exchange(ref _oldestPendingMs, -1);
                if (!await DelayAsync(IdlePoll, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            Interlocked.Exchange(ref _oldestPendingMs, records[0].WrittenAt.ToUnixTimeMilliseconds());
            var window = SinkWindow.Take(records, _options.BatchLines, _options.MaxInFlight);
            var (first, last) = (records[0].Sequence, records[window.Records - 1].Sequence);
            IReadOnlyList<SinkBatch> pending = window.Batches;
            try
            {
                // The window's requests go together; the ones that failed for now are sent again (alone) after the
                // backoff, and the window leaves the spool only when each was confirmed or refused for good.
                while (pending.Count > 0)
                {
                    var failures = await Task.WhenAll(pending.Select(batch => SendAsync(batch, first, last, cancellationToken))).ConfigureAwait(false);
                    var retry = new List<SinkBatch>();
                    TimeSpan? retryAfter = null;
                    for (var i = 0; i < pending.Count; i++)
                    {
                        if (failures[i] is { } failure)
                        {
                            retry.Add(pending[i]);
                            retryAfter = Longest(retryAfter, (failure as InfluxWriteException)?.RetryAfter);
                        }
                    }

                    if (retry.Count == 0)
                    {
                        break;
                    }

                    var delay = retryAfter is { } asked && asked > TimeSpan.Zero ? (asked < MaxRetryAfter ? asked : MaxRetryAfter) : backoff;
                    LogWriteFailed(_logger, first, last, retry.Count, pending.Count, delay.TotalSeconds, _lastError ?? string.Empty);
                    if (!await DelayAsync(delay, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    backoff = TimeSpan.FromTicks(Math.Min(_options.MaxBackoff.Ticks, backoff.Ticks * 2));
                    pending = retry;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            _spool.Acknowledge(last);
            backoff = _options.MinBackoff;
            _supervision.Progress();
        }
    }

    /// <summary>Sends one request; returns null when it was confirmed or refused for good (kept aside), else the transient failure.</summary>
    private async Task<Exception?> SendAsync(SinkBatch batch, long first, long last, CancellationToken cancellationToken)
    {
        try
        {
            await _writer.WriteAsync(batch.Body, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _batchesWritten);
            Interlocked.Add(ref _linesWritten, batch.Lines);
            _metrics?.BatchWritten(batch.Lines);
            bool reconnected;
            lock (_lock)
            {
                reconnected = !_connected;
                (_connected, _lastSuccessAt) = (true, _time.GetUtcNow());
            }

            if (reconnected)
            {
                LogReconnected(_logger, _writer.Description, _failures);
            }

            return null;
        }
        catch (InfluxWriteException ex) when (ex.IsPermanent)
        {
            var file = KeepRejected(batch, first, last, ex.Message);
            Interlocked.Increment(ref _batchesRejected);
            Interlocked.Add(ref _linesRejected, batch.Lines);
            _metrics?.BatchRejected(batch.Lines);
            Failed(connected: true, ex.Message);
            LogRejected(_logger, first, last, batch.Lines, file ?? "(not kept)", ex.Message);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever goes wrong with one attempt, the loop must live on and retry.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _failures);
            _metrics?.Failure();
            Failed(connected: false, ex.Message);
            return ex;
        }
    }

    private static TimeSpan? Longest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a > b ? a : b);

    private void Failed(bool connected, string message)
    {
        lock (_lock)
        {
            (_connected, _lastError, _lastErrorAt) = (connected, message, _time.GetUtcNow());
        }
    }

    /// <summary>Keeps a refused batch as a line protocol file whose first line (a comment) says why; the oldest files go first.</summary>
    private string? KeepRejected(SinkBatch batch, long first, long last, string reason)
    {
        if (_options.MaxRejectedFiles == 0)
        {
            return null;
        }

        try
        {
            Directory.CreateDirectory(_rejectedDirectory);
            var name = string.Create(CultureInfo.InvariantCulture, $"{_time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{first:D20}-{last:D20}-{batch.Lane}.lp");
            var path = Path.Combine(_rejectedDirectory, name);
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
            {
                file.Write(Encoding.UTF8.GetBytes("# " + reason.ReplaceLineEndings(" ") + "\n"));
                file.Write(batch.Body.Span);
            }

            var files = Directory.GetFiles(_rejectedDirectory, "*.lp");
            Array.Sort(files, StringComparer.Ordinal);
            for (var i = 0; i < files.Length - _options.MaxRejectedFiles; i++)
            {
                File.Delete(files[i]);
            }

            return path;
        }
        catch (IOException ex)
        {
            LogRejectedNotKept(_logger, _rejectedDirectory, ex.Message);
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            LogRejectedNotKept(_logger, _rejectedDirectory, ex.Message);
            return null;
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "InfluxDB sink: {Failed} of {Requests} writes of spool records {First}-{Last} failed, retrying in {DelaySeconds:0.#} s: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, long first, long last, int failed, int requests, double delaySeconds, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "InfluxDB sink: the server refused spool records {First}-{Last} ({Lines} lines) for good; kept in {File}: {Reason}")]
    private static partial void LogRejected(ILogger logger, long first, long last, int lines, string file, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "InfluxDB sink: {Target} reachable again after {Failures} failed attempts in all")]
    private static partial void LogReconnected(ILogger logger, string target, long failures);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "InfluxDB sink: could not keep a rejected batch in {Directory}: {Reason}")]
    private static partial void LogRejectedNotKept(ILogger logger, string directory, string reason);
}
