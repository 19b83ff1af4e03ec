using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Monitoring.Domain.Registry;
using Monitoring.Storage;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Inputs.Mqtt;
using Monitoring.Edge.Uplink;

namespace Monitoring.Edge.Polling;

/// <summary>
/// <c>monitoring-edge run</c>: polls the devices, writes every reading to the disk buffer before anything else
/// happens to it, forwards the buffer upstream, and reports its own health as <c>edge_status</c> readings.
/// Polling (one loop per endpoint or bus), forwarding, health and each MQTT input run independently and supervised:
/// an uplink that is down never blocks polling, a full disk costs readings but stops nothing, and a loop that keeps
/// failing ends <see cref="RunAsync"/> with <see cref="EdgeLoopFailedException"/> (docs/edge.md, "Supervision").
/// </summary>
public sealed partial class EdgeAgent : IAsyncDisposable
{
    /// <summary>A loop that ran this long before it failed had made progress: its failure count starts again.</summary>
    private static readonly TimeSpan StableRun = TimeSpan.FromMinutes(1);

    private readonly EdgeConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly DiskBuffer _buffer;
    private readonly IUplink _uplink;
    private readonly EdgePoller _poller;
    private readonly Forwarder _forwarder;
    private readonly List<MqttInput> _mqttInputs;
    private readonly TextWriter _log;
    private readonly ILogger _logger;
    private readonly List<SupervisedLoop> _loops = [];
    private readonly Dictionary<string, (SupervisedLoop Loop, TimeSpan Quiet)> _pollLoops = new(StringComparer.Ordinal);
    private long _deviceErrors;
    private long _invalidValues;
    private long _appendFailures;
    private long _readingsLost;
    private long _directStatusLines;
    private int _bufferFailing;

    /// <summary>
    /// Records remembered for redelivered MQTT messages at least: a message in flight at a crash comes back after the
    /// restart, behind whatever the pollers appended meanwhile.
    /// </summary>
    private const int MinRedeliveryWindow = 10_000;

    /// <param name="log">Where the MQTT inputs write what they reject (default: stderr).</param>
    public EdgeAgent(EdgeConfiguration configuration, out BufferRecoveryReport recovery, TimeProvider? time = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var buffer = configuration.Buffer ?? throw new ArgumentException("The configuration has no 'buffer' section.", nameof(configuration));
        var uplink = configuration.Uplink ?? throw new ArgumentException("The configuration has no 'uplink' section.", nameof(configuration));
        _configuration = configuration;
        _time = time ?? TimeProvider.System;
        _log = log ?? Console.Error;
        _logger = new TextWriterLogger(_log);
        var inputs = configuration.MqttInputs?.Count ?? 0;
        try
        {
            _buffer = DiskBuffer.Open(
                new DiskBufferOptions
                {
                    Directory = buffer.Directory, MaxBytes = buffer.MaxBytes, MaxAge = buffer.MaxAge, Fsync = buffer.Fsync, CommitInterval = buffer.CommitInterval,
                    RedeliveryWindow = inputs == 0 ? 0 : Math.Max(MinRedeliveryWindow, inputs * MqttInput.RedeliveryRecords),
                },
                out recovery,
                _time);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EdgeBufferUnavailableException($"cannot open the buffer {buffer.Directory}: {ex.Message}", ex);
        }
        _uplink = uplink.Kind == UplinkKind.Http
            ? new HttpUplink(uplink.Url, uplink.Organization, uplink.Bucket, uplink.Token, uplink.Timeout)
            : new MqttUplink(uplink.Url.Host, uplink.Url.IsDefaultPort ? 1883 : uplink.Url.Port, configuration.Site, configuration.Agent, uplink.Username, uplink.Password, uplink.Timeout, uplink.Protocol);
        _poller = new EdgePoller(configuration, _time);
        _forwarder = new Forwarder(_buffer, _uplink, configuration.Agent, uplink, _time);
        _mqttInputs = [.. (configuration.MqttInputs ?? []).Select(settings => new MqttInput(settings, configuration.Site, _buffer.AppendAsync, log, _time, payload => _buffer.ContainsRecent(payload)))];
    }

    public DiskBuffer Buffer => _buffer;

    public Forwarder Forwarder => _forwarder;

    public string UplinkDescription => _uplink.Description;

    public IReadOnlyList<MqttInput> MqttInputs => _mqttInputs;

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled (SIGTERM, Ctrl+C); what was buffered stays for the
    /// next start. Throws <see cref="EdgeLoopFailedException"/> when a loop gave up, after stopping the others.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var runs = new List<Task>();
        foreach (var (endpoint, run) in _poller.EndpointLoops(OnPollAsync))
        {
            var loop = Supervise($"poll {endpoint}", run, runs, stopping.Token);
            _pollLoops.Add(endpoint, (loop, _poller.LongestInterval(endpoint)));
        }

        var forwarding = default(SupervisedLoop);
        forwarding = Supervise("forwarder", token => _forwarder.RunAsync(token, () => forwarding!.Progress()), runs, stopping.Token);
        var health = default(SupervisedLoop);
        health = Supervise("health", token => ReportHealthAsync(() => health!.Progress(), token), runs, stopping.Token);
        foreach (var (input, index) in _mqttInputs.Select((input, index) => (input, index)))
        {
            Supervise($"mqtt input {index + 1}", input.RunAsync, runs, stopping.Token);
        }

        var all = Task.WhenAll(runs);
        var dead = Task.WhenAny(_loops.Select(l => l.Dead));
        if (await Task.WhenAny(all, dead).ConfigureAwait(false) == all)
        {
            await all.ConfigureAwait(false);
            return;
        }

        var reason = await (await dead.ConfigureAwait(false)).ConfigureAwait(false);
        await stopping.CancelAsync().ConfigureAwait(false);
        await all.ConfigureAwait(false);
        throw new EdgeLoopFailedException(reason);
    }

    /// <summary>
    /// Whether every loop is running and every polling loop was heard from within its longest interval plus
    /// <paramref name="slack"/>: what the systemd watchdog is told (a hung agent stops being confirmed and is restarted).
    /// </summary>
    public bool IsHealthy(TimeSpan slack)
    {
        var now = _time.GetUtcNow();
        return _loops.Count > 0
            && _loops.All(l => l.Status.State == "running")
            && _pollLoops.Values.All(p => now - p.Loop.Status.LastProgress <= p.Quiet + slack);
    }

    /// <summary>Starts <paramref name="run"/> under a <see cref="SupervisedLoop"/>: restarted with backoff when it throws.</summary>
    private SupervisedLoop Supervise(string name, Func<CancellationToken, Task> run, List<Task> runs, CancellationToken stopping)
    {
        var loop = new SupervisedLoop(name, _logger, _time);
        _loops.Add(loop);
        runs.Add(loop.RunAsync(async () =>
        {
            var started = _time.GetTimestamp();
            try
            {
                await run(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Stopping: not a failure.
            }
            catch (Exception) when (_time.GetElapsedTime(started) > StableRun)
            {
                loop.Progress();
                throw;
            }
        }));
        return loop;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var input in _mqttInputs)
        {
            await input.DisposeAsync().ConfigureAwait(false);
        }

        await _poller.DisposeAsync().ConfigureAwait(false);
        await _uplink.DisposeAsync().ConfigureAwait(false);
        await _buffer.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Counters and gauges go in separate records, so that a full buffer can drop gauges and keep counters.</summary>
    private async ValueTask OnPollAsync(DevicePoll poll, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _deviceErrors, poll.Errors.Count);
        Interlocked.Add(ref _invalidValues, poll.Invalid.Count);
        if (_pollLoops.TryGetValue(poll.Device.Endpoint, out var polling))
        {
            polling.Loop.Progress();
        }

        var counters = poll.Readings.Where(r => IsCounter(r.Field)).ToList();
        var gauges = poll.Readings.Where(r => !IsCounter(r.Field)).ToList();
        await AppendAsync(RecordPriority.Counter, poll.Device.Id, counters, cancellationToken).ConfigureAwait(false);
        await AppendAsync(RecordPriority.Gauge, poll.Device.Id, gauges, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A reading the buffer cannot take (disk full, a failed fsync) is lost, counted and reported once per episode;
    /// polling goes on, and the buffer is tried again with the next reading.
    /// </summary>
    private async ValueTask AppendAsync(RecordPriority priority, string meter, List<Reading> readings, CancellationToken cancellationToken)
    {
        if (readings.Count == 0)
        {
            return;
        }

        var lines = new StringBuilder();
        LineProtocolWriter.WriteMeterLines(lines, _configuration.Site, meter, readings);
        if (await TryAppendAsync(priority, Encoding.UTF8.GetBytes(lines.ToString()), cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        Interlocked.Add(ref _readingsLost, readings.Count);
    }

    private async ValueTask<bool> TryAppendAsync(RecordPriority priority, byte[] payload, CancellationToken cancellationToken)
    {
        try
        {
            await _buffer.AppendAsync(priority, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _appendFailures);
            if (Interlocked.Exchange(ref _bufferFailing, 1) == 0)
            {
                LogBufferFailing(_logger, _configuration.Buffer!.Directory, ex.Message);
            }

            return false;
        }

        if (Interlocked.Exchange(ref _bufferFailing, 0) == 1)
        {
            var (failures, lost) = (Interlocked.Read(ref _appendFailures), Interlocked.Read(ref _readingsLost));
            LogBufferRecovered(_logger, failures, lost);
        }

        return true;
    }

    private static bool IsCounter(string field) => FieldVocabulary.TryGet(field, out var known) && known.Kind == FieldKind.Counter;

    /// <summary>
    /// One <c>edge_status</c> line per interval, through the buffer; when the buffer cannot take it, straight to the
    /// uplink, so that upstream sees the agent's trouble (append failures, readings lost) instead of silence.
    /// </summary>
    private async Task ReportHealthAsync(Action progress, CancellationToken cancellationToken)
    {
        var interval = _configuration.HealthInterval ?? TimeSpan.FromSeconds(60);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
                var line = Encoding.UTF8.GetBytes(HealthLine());
                if (!await TryAppendAsync(RecordPriority.Gauge, line, cancellationToken).ConfigureAwait(false))
                {
                    await SendStatusDirectlyAsync(line, cancellationToken).ConfigureAwait(false);
                }

                progress();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async ValueTask SendStatusDirectlyAsync(byte[] line, CancellationToken cancellationToken)
    {
        var batchId = string.Create(CultureInfo.InvariantCulture, $"{_configuration.Agent}@{_buffer.InstanceId}:status-{_time.GetUtcNow().ToUnixTimeMilliseconds()}");
        try
        {
            await _uplink.SendAsync(line, batchId, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _directStatusLines);
        }
        catch (UplinkException)
        {
            // The uplink is down too: the forwarder counts its failures; the next interval tries again.
        }
    }

    /// <summary>The MQTT inputs' counters, summed over the inputs (added to <c>edge_status</c> only when there are inputs).</summary>
    private IEnumerable<(string Name, double Value)> MqttHealthFields()
    {
        var all = _mqttInputs.Select(i => i.Statistics).ToList();
        return
        [
            ("mqtt_up", all.All(s => s.Connected) ? 1 : 0),
            ("mqtt_connects_total", all.Sum(s => s.Connects)),
            ("mqtt_connect_failures_total", all.Sum(s => s.ConnectFailures)),
            ("mqtt_messages_total", all.Sum(s => s.Messages)),
            ("mqtt_readings_total", all.Sum(s => s.Readings)),
            ("mqtt_rejected_total", all.Sum(s => s.Rejected)),
            ("mqtt_rejected_payload", all.Sum(s => s.RejectedPayload)),
            ("mqtt_rejected_site", all.Sum(s => s.RejectedSite)),
            ("mqtt_rejected_meter", all.Sum(s => s.RejectedMeter)),
            ("mqtt_rejected_topic", all.Sum(s => s.RejectedTopic)),
            ("mqtt_append_failures_total", all.Sum(s => s.AppendFailures)),
            ("mqtt_rebirths_total", all.Sum(s => s.Rebirths)),
            ("mqtt_seq_gaps_total", all.Sum(s => s.SeqGaps)),
            ("mqtt_unknown_aliases_total", all.Sum(s => s.UnknownAliases)),
            ("mqtt_backfilled_total", all.Sum(s => s.Backfilled)),
            ("mqtt_redelivered_duplicates_total", all.Sum(s => s.RedeliveredDuplicates)),
            ("mqtt_devices_offline", _mqttInputs.Sum(i => i.Sparkplug.DevicesOffline)),
            ("mqtt_states_published_total", all.Sum(s => s.StatesPublished)),
        ];
    }

    /// <summary>One <c>edge_status</c> line: buffer, drops by reason, device errors, uplink state and lag.</summary>
    internal string HealthLine()
    {
        var buffer = _buffer.Statistics;
        var uplink = _forwarder.Statistics;
        var fields = new (string Name, double Value)[]
        {
            ("buffer_records", buffer.Records),
            ("buffer_bytes", buffer.Bytes),
            ("buffer_oldest_s", buffer.OldestAge.TotalSeconds),
            ("dropped_total", buffer.DroppedGaugesFull + buffer.DroppedCountersFull + buffer.DroppedExpired),
            ("dropped_gauges_full", buffer.DroppedGaugesFull),
            ("dropped_counters_full", buffer.DroppedCountersFull),
            ("dropped_expired", buffer.DroppedExpired),
            ("device_errors_total", Interlocked.Read(ref _deviceErrors)),
            ("invalid_values_total", Interlocked.Read(ref _invalidValues)),
            ("uplink_up", uplink.UplinkUp ? 1 : 0),
            ("uplink_lag_s", buffer.OldestAge.TotalSeconds),
            ("uplink_batches_sent", uplink.BatchesSent),
            ("uplink_failures_total", uplink.Failures),
            ("uplink_records_rejected", uplink.RecordsRejected),
            ("buffer_writable", Volatile.Read(ref _bufferFailing) == 0 ? 1 : 0),
            ("buffer_append_failures_total", Interlocked.Read(ref _appendFailures)),
            ("buffer_cursor_write_failures_total", buffer.CursorWriteFailures),
            ("readings_lost_total", Interlocked.Read(ref _readingsLost)),
            ("status_sent_directly_total", Interlocked.Read(ref _directStatusLines)),
            ("loop_restarts_total", _loops.Sum(l => l.Status.Restarts)),
            ("modbus_crc_errors_total", _poller.Statistics.Values.Sum(s => s.CrcErrors)),
        };
        if (_mqttInputs.Count > 0)
        {
            fields = [.. fields, .. MqttHealthFields()];
        }

        var line = new StringBuilder("edge_status,site=").Append(_configuration.Site).Append(",agent=").Append(_configuration.Agent);
        var separator = ' ';
        foreach (var (name, value) in fields)
        {
            line.Append(separator).Append(name).Append('=').Append(value.ToString("R", CultureInfo.InvariantCulture));
            separator = ',';
        }

        return line.Append(' ').Append(LineProtocolWriter.UnixNanoseconds(_time.GetUtcNow()).ToString(CultureInfo.InvariantCulture)).Append('\n').ToString();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "buffer {Directory} cannot be written ({Reason}): readings are lost until it can; polling goes on and edge_status is sent straight upstream")]
    private static partial void LogBufferFailing(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "buffer writable again ({Failures} failed appends so far, {Lost} readings lost)")]
    private static partial void LogBufferRecovered(ILogger logger, long failures, long lost);
}

/// <summary>A loop of the agent gave up after failing again and again; the process should exit non-zero.</summary>
public sealed class EdgeLoopFailedException(string message) : Exception(message);

/// <summary>The buffer's folder cannot be opened (not a folder, no permission, a read-only file system).</summary>
public sealed class EdgeBufferUnavailableException(string message, Exception inner) : Exception(message, inner);
