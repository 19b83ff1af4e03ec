using System.Globalization;
using System.Text;
using Monitoring.Domain.Registry;
using Monitoring.Storage;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Inputs.Mqtt;
using Monitoring.Edge.Uplink;

namespace Monitoring.Edge.Polling;

/// <summary>
/// <c>monitoring-edge run</c>: polls the devices, writes every reading to the disk buffer before anything else
/// happens to it, forwards the buffer upstream, and reports its own health as <c>edge_status</c> readings.
/// Polling, forwarding and health run independently, so an uplink that is down never blocks polling.
/// </summary>
public sealed class EdgeAgent : IAsyncDisposable
{
    private readonly EdgeConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly DiskBuffer _buffer;
    private readonly IUplink _uplink;
    private readonly EdgePoller _poller;
    private readonly Forwarder _forwarder;
    private readonly List<MqttInput> _mqttInputs;
    private long _deviceErrors;
    private long _invalidValues;

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
        var inputs = configuration.MqttInputs?.Count ?? 0;
        _buffer = DiskBuffer.Open(
            new DiskBufferOptions
            {
                Directory = buffer.Directory, MaxBytes = buffer.MaxBytes, MaxAge = buffer.MaxAge, Fsync = buffer.Fsync, CommitInterval = buffer.CommitInterval,
                RedeliveryWindow = inputs == 0 ? 0 : Math.Max(MinRedeliveryWindow, inputs * MqttInput.RedeliveryRecords),
            },
            out recovery,
            _time);
        _uplink = uplink.Kind == UplinkKind.Http
            ? new HttpUplink(uplink.Url, uplink.Organization, uplink.Bucket, uplink.Token, uplink.Timeout)
            : new MqttUplink(uplink.Url.Host, uplink.Url.IsDefaultPort ? 1883 : uplink.Url.Port, configuration.Site, configuration.Agent, uplink.Username, uplink.Password, uplink.Timeout);
        _poller = new EdgePoller(configuration, _time);
        _forwarder = new Forwarder(_buffer, _uplink, configuration.Agent, uplink, _time);
        _mqttInputs = [.. (configuration.MqttInputs ?? []).Select(settings => new MqttInput(settings, configuration.Site, _buffer.AppendAsync, log, _time, payload => _buffer.ContainsRecent(payload)))];
    }

    public DiskBuffer Buffer => _buffer;

    public Forwarder Forwarder => _forwarder;

    public string UplinkDescription => _uplink.Description;

    public IReadOnlyList<MqttInput> MqttInputs => _mqttInputs;

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (SIGTERM, Ctrl+C); what was buffered stays for the next start.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(
        [
            _poller.RunAsync(OnPollAsync, cancellationToken),
            _forwarder.RunAsync(cancellationToken),
            ReportHealthAsync(cancellationToken),
            .. _mqttInputs.Select(input => input.RunAsync(cancellationToken)),
        ]);

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
        var counters = poll.Readings.Where(r => IsCounter(r.Field)).ToList();
        var gauges = poll.Readings.Where(r => !IsCounter(r.Field)).ToList();
        await AppendAsync(RecordPriority.Counter, poll.Device.Id, counters, cancellationToken).ConfigureAwait(false);
        await AppendAsync(RecordPriority.Gauge, poll.Device.Id, gauges, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask AppendAsync(RecordPriority priority, string meter, List<Reading> readings, CancellationToken cancellationToken)
    {
        if (readings.Count == 0)
        {
            return;
        }

        var lines = new StringBuilder();
        LineProtocolWriter.WriteMeterLines(lines, _configuration.Site, meter, readings);
        await _buffer.AppendAsync(priority, Encoding.UTF8.GetBytes(lines.ToString()), cancellationToken).ConfigureAwait(false);
    }

    private static bool IsCounter(string field) => FieldVocabulary.TryGet(field, out var known) && known.Kind == FieldKind.Counter;

    private async Task ReportHealthAsync(CancellationToken cancellationToken)
    {
        var interval = _configuration.HealthInterval ?? TimeSpan.FromSeconds(60);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
                await _buffer.AppendAsync(RecordPriority.Gauge, Encoding.UTF8.GetBytes(HealthLine()), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
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
}
