using System.Globalization;
using System.Text;
using Monitoring.Domain.Registry;
using Monitoring.Edge.Buffering;
using Monitoring.Edge.Configuration;
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
    private long _deviceErrors;
    private long _invalidValues;

    public EdgeAgent(EdgeConfiguration configuration, out BufferRecoveryReport recovery, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var buffer = configuration.Buffer ?? throw new ArgumentException("The configuration has no 'buffer' section.", nameof(configuration));
        var uplink = configuration.Uplink ?? throw new ArgumentException("The configuration has no 'uplink' section.", nameof(configuration));
        _configuration = configuration;
        _time = time ?? TimeProvider.System;
        _buffer = DiskBuffer.Open(
            new DiskBufferOptions { Directory = buffer.Directory, MaxBytes = buffer.MaxBytes, MaxAge = buffer.MaxAge, Fsync = buffer.Fsync },
            out recovery,
            _time);
        _uplink = uplink.Kind == UplinkKind.Http
            ? new HttpUplink(uplink.Url, uplink.Organization, uplink.Bucket, uplink.Token, uplink.Timeout)
            : new MqttUplink(uplink.Url.Host, uplink.Url.IsDefaultPort ? 1883 : uplink.Url.Port, configuration.Site, configuration.Agent, uplink.Username, uplink.Password, uplink.Timeout);
        _poller = new EdgePoller(configuration, _time);
        _forwarder = new Forwarder(_buffer, _uplink, configuration.Agent, uplink, _time);
    }

    public DiskBuffer Buffer => _buffer;

    public Forwarder Forwarder => _forwarder;

    public string UplinkDescription => _uplink.Description;

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (SIGTERM, Ctrl+C); what was buffered stays for the next start.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(
        _poller.RunAsync(OnPollAsync, cancellationToken),
        _forwarder.RunAsync(cancellationToken),
        ReportHealthAsync(cancellationToken));

    public async ValueTask DisposeAsync()
    {
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
        LineProtocol.WriteMeterLines(lines, _configuration.Site, meter, readings);
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
        var line = new StringBuilder("edge_status,site=").Append(_configuration.Site).Append(",agent=").Append(_configuration.Agent);
        var separator = ' ';
        foreach (var (name, value) in fields)
        {
            line.Append(separator).Append(name).Append('=').Append(value.ToString("R", CultureInfo.InvariantCulture));
            separator = ',';
        }

        return line.Append(' ').Append(LineProtocol.UnixNanoseconds(_time.GetUtcNow()).ToString(CultureInfo.InvariantCulture)).Append('\n').ToString();
    }
}
