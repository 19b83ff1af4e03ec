using System.Buffers;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Monitoring.Domain.Registry;
using Monitoring.Storage;
using Monitoring.Edge.Polling;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Monitoring.Edge.Inputs.Mqtt;

/// <summary>
/// Where an input's records go: the disk buffer's append in the agent. Returns once the record is durable
/// (its sequence, or -1 when the buffer dropped it by its own full policy, which it counts).
/// </summary>
public delegate ValueTask<long> RecordSink(RecordPriority priority, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

/// <summary>
/// One <c>mqtt_inputs</c> broker: connects (and reconnects, with backoff, forever), subscribes on every connect,
/// turns each message into readings and writes them to the buffer. With QoS 1 or 2 a message is acknowledged to
/// the broker only once its readings are durable, so a crash or a lost connection before that makes the broker
/// send it again (the session is persistent). A message that cannot be read is logged with its topic, counted and
/// acknowledged (sending it again would not help). The MQTT handler only copies and enqueues; one loop decodes,
/// appends and acknowledges in arrival order.
/// </summary>
public sealed class MqttInput : IAsyncDisposable
{
    /// <summary>Messages received but not yet durable; also the MQTT 5 receive maximum (the broker's in-flight window).</summary>
    private const int QueueCapacity = 1000;

    /// <summary>
    /// Buffer records one input may have appended without acknowledging them to the broker (two per message: counters
    /// and gauges), twice over for the records appended after a restart before the broker sends them again.
    /// </summary>
    public const int RedeliveryRecords = 2 * 2 * QueueCapacity;

    /// <summary>Messages decoded and appended together, so that one group-committed fsync covers them all.</summary>
    private const int BatchSize = 256;

    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a clean stop waits to publish the offline STATE; past it the will is what edge nodes get.</summary>
    private static readonly TimeSpan StateTimeout = TimeSpan.FromSeconds(5);

    private readonly MqttInputSettings _settings;
    private readonly string _site;
    private readonly RecordSink _sink;
    private readonly Func<ReadOnlyMemory<byte>, bool>? _alreadyBuffered;
    private readonly TextWriter _log;
    private readonly TimeProvider _time;
    private readonly MqttMessageDecoder _decoder;
    private readonly MqttClientFactory _factory = new();
    private readonly IMqttClient _client;
    private readonly Channel<Received> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _connectionLost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    /// <summary>The timestamp of the online STATE of the current connection (primary host only); 0 before the first.</summary>
    private long _stateTimestamp;

    /// <param name="alreadyBuffered">
    /// Whether an identical record is among the buffer's recent ones. Asked only for messages the broker redelivers
    /// (DUP): after a crash between the durable append and the acknowledgement, the same readings come back.
    /// </param>
    public MqttInput(MqttInputSettings settings, string site, RecordSink sink, TextWriter? log = null, TimeProvider? time = null, Func<ReadOnlyMemory<byte>, bool>? alreadyBuffered = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(sink);
        _settings = settings;
        _site = site;
        _sink = sink;
        _alreadyBuffered = alreadyBuffered;
        _log = TextWriter.Synchronized(log ?? Console.Error);
        _time = time ?? TimeProvider.System;
        _decoder = new MqttMessageDecoder(site, settings.Subscriptions, _time);
        _queue = Channel.CreateBounded<Received>(new BoundedChannelOptions(QueueCapacity)
        {
            // Never drop: a full queue holds the broker back (the handler waits), and unacknowledged messages stay with it.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _client = _factory.CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected)
            {
                Volatile.Read(ref _connectionLost).TrySetResult();
            }

            return Task.CompletedTask;
        };
        Description = $"mqtt input {settings.Description}";
    }

    public string Description { get; }

    public MqttInputStatistics Statistics { get; } = new();

    /// <summary>The Sparkplug B view (alias tables, seq, devices online).</summary>
    internal SparkplugSession Sparkplug => _decoder.Sparkplug;

    /// <summary>Runs until cancelled; connection failures are retried with backoff (0.5 s doubling to 30 s), never fatal.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        await Task.WhenAll(ConnectLoopAsync(linked.Token), ProcessLoopAsync(linked.Token)).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the connection as a client that crashed would: nothing pending is acknowledged. A primary host says first
    /// that it goes offline, since a clean disconnect makes the broker discard the will.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            // A primary host whose offline STATE did not go leaves without DISCONNECT: the broker then publishes the will.
            if (_client.IsConnected && (_settings.PrimaryHostId is null || await PublishOfflineStateAsync().ConfigureAwait(false)))
            {
                await _client.DisconnectAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
        {
            // already gone
        }

        _client.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Drops the connection without stopping the input (tests, and after a failed append): it reconnects.</summary>
    internal async Task DropConnectionAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync().ConfigureAwait(false);
        }
    }

    /// <param name="stateTimestamp">A primary host's birth timestamp: the will is its offline STATE.</param>
    private static MqttClientOptions BuildOptions(MqttInputSettings settings, long stateTimestamp)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(settings.Host, settings.Port)
            .WithClientId(settings.ClientId)
            .WithTimeout(ConnectTimeout)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            // A persistent session: what was sent but not acknowledged is sent again after a reconnect or a restart.
            .WithCleanSession(false);
        if (settings.Protocol == MqttProtocol.V500)
        {
            builder = builder
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithSessionExpiryInterval((uint)Math.Min(settings.SessionExpiry.TotalSeconds, uint.MaxValue - 1))
                .WithReceiveMaximum(QueueCapacity);
        }
        else
        {
            builder = builder.WithProtocolVersion(MqttProtocolVersion.V311);
        }

        if (settings.Tls)
        {
            builder = builder.WithTlsOptions(tls => tls.UseTls());
        }

        if (settings.Username is not null)
        {
            builder = builder.WithCredentials(settings.Username, settings.Password);
        }

        if (settings.PrimaryHostId is { } hostId)
        {
            builder = builder
                .WithWillTopic(SparkplugSession.StateTopic(hostId))
                .WithWillPayload(SparkplugSession.StatePayload(online: false, stateTimestamp))
                .WithWillRetain()
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        }

        return builder.Build();
    }

    private async Task ConnectLoopAsync(CancellationToken cancellationToken)
    {
        var backoff = MinBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _connectionLost, lost);
            try
            {
                using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                budget.CancelAfter(ConnectTimeout);
                // Each connection is a new birth of a primary host: a later timestamp, and a will that carries it.
                var stateTimestamp = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), Volatile.Read(ref _stateTimestamp) + 1);
                var connected = await _client.ConnectAsync(BuildOptions(_settings, stateTimestamp), budget.Token).ConfigureAwait(false);
                if (connected.ResultCode != MqttClientConnectResultCode.Success)
                {
                    throw new MqttCommunicationException($"connection refused: {connected.ResultCode} {connected.ReasonString}");
                }

                await SubscribeAsync(budget.Token).ConfigureAwait(false);
                if (_settings.PrimaryHostId is { } hostId)
                {
                    // Not cancelled by a stop: a birth cut off while it waits for its PUBACK may close the connection
                    // cleanly (no will), and the stop could then not say offline after it.
                    Volatile.Write(ref _stateTimestamp, stateTimestamp);
                    using var birthBudget = new CancellationTokenSource(ConnectTimeout, _time);
                    await PublishStateAsync(hostId, online: true, stateTimestamp, birthBudget.Token).ConfigureAwait(false);
                }

                Statistics.SetConnected(true);
                Log($"connected (MQTT {(_settings.Protocol == MqttProtocol.V311 ? "3.1.1" : "5")}) as '{_settings.ClientId}', subscribed to {string.Join(", ", _settings.Subscriptions.Select(s => s.Topic.Filter).Distinct(StringComparer.Ordinal))} (QoS {_settings.Qos.ToString(CultureInfo.InvariantCulture)})");
                backoff = MinBackoff;
                await lost.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                Statistics.SetConnected(false);
                Log("connection lost; reconnecting");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Statistics.SetConnected(false);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Statistics.SetConnected(false);
                Statistics.ConnectFailed();
                Log($"cannot connect: {ex.Message} (next attempt in {backoff.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s)");
                await DropConnectionQuietlyAsync().ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>Every connect subscribes again: a broker that lost or dropped the session must not silence the input.</summary>
    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        var qos = (MqttQualityOfServiceLevel)_settings.Qos;
        var builder = _factory.CreateSubscribeOptionsBuilder();
        foreach (var filter in _settings.Subscriptions.Select(s => s.Topic.Filter).Distinct(StringComparer.Ordinal))
        {
            builder = builder.WithTopicFilter(filter, qos);
        }

        var result = await _client.SubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        var refused = result.Items
            .Where(i => i.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
            .Select(i => $"'{i.TopicFilter.Topic}' ({i.ResultCode})")
            .ToList();
        if (refused.Count > 0)
        {
            throw new MqttCommunicationException($"the broker refused the subscription(s) {string.Join(", ", refused)}");
        }
    }

    /// <summary>A primary host's STATE, retained at QoS 1 (Sparkplug B 3.0): edge nodes that connect later read it from the broker.</summary>
    private async Task PublishStateAsync(string hostId, bool online, long timestamp, CancellationToken cancellationToken)
    {
        var state = new MqttApplicationMessageBuilder()
            .WithTopic(SparkplugSession.StateTopic(hostId))
            .WithPayload(SparkplugSession.StatePayload(online, timestamp))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag()
            .Build();
        var result = await _client.PublishAsync(state, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            throw new MqttCommunicationException($"the broker refused the STATE on '{state.Topic}': {result.ReasonCode} {result.ReasonString}");
        }

        Statistics.StatePublished();
        Log($"primary host '{hostId}': published {(online ? "online" : "offline")} STATE (timestamp {timestamp.ToString(CultureInfo.InvariantCulture)})");
    }

    /// <summary>Whether the offline STATE was published; when not, the will (the same STATE) must say it.</summary>
    private async Task<bool> PublishOfflineStateAsync()
    {
        using var budget = new CancellationTokenSource(StateTimeout, _time);
        try
        {
            await PublishStateAsync(_settings.PrimaryHostId!, online: false, Volatile.Read(ref _stateTimestamp), budget.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
        {
            Log($"primary host '{_settings.PrimaryHostId}': offline STATE not published ({ex.Message}); leaving without DISCONNECT, so that the broker publishes the will");
            return false;
        }
    }

    private async Task DropConnectionQuietlyAsync()
    {
        try
        {
            await DropConnectionAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
        {
            // the next connect starts from scratch
        }
    }

    /// <summary>The MQTT handler: copy, timestamp, enqueue; the acknowledgement is sent once the readings are durable.</summary>
    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        e.AutoAcknowledge = false;
        var received = new Received(e, e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray(), _time.GetUtcNow());
        try
        {
            await _queue.Writer.WriteAsync(received, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping: left unacknowledged, the broker sends it again to the next session
        }
    }

    private async Task ProcessLoopAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        var batch = new List<Received>(BatchSize);
        var appends = new List<(Received Message, List<Task<long>> Records)>(BatchSize);
        while (true)
        {
            try
            {
                if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            batch.Clear();
            appends.Clear();
            while (batch.Count < BatchSize && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            // Decode and start every append of the batch, in order; the buffer commits them with one fsync.
            foreach (var item in batch)
            {
                appends.Add((item, await DecodeAndAppendAsync(item, cancellationToken).ConfigureAwait(false)));
            }

            var failed = false;
            foreach (var (item, records) in appends)
            {
                try
                {
                    foreach (var record in records)
                    {
                        await record.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return; // not durable, not acknowledged
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Statistics.AppendFailed();
                    Log($"topic '{item.Topic}': the buffer did not take the readings ({ex.Message}); left unacknowledged for the broker to send again");
                    failed = true;
                    continue;
                }

                if (!failed)
                {
                    await AcknowledgeAsync(item, cancellationToken).ConfigureAwait(false);
                }
            }

            if (failed)
            {
                // Acknowledgements go in order: after a failure the rest of the batch waits for the broker to resend it.
                await DropConnectionQuietlyAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Decodes one message, logs and counts what is wrong, and starts the appends of its records.</summary>
    private async Task<List<Task<long>>> DecodeAndAppendAsync(Received item, CancellationToken cancellationToken)
    {
        Statistics.Received();
        DecodedMessage decoded;
        try
        {
            decoded = _decoder.Decode(item.Topic, item.Payload, item.ReceivedAt);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A message must never stop the input: whatever it is, it is rejected like any bad payload.
            decoded = new DecodedMessage();
            decoded.Reject(RejectReason.Payload, $"cannot be decoded: {ex.GetType().Name}: {ex.Message}");
        }

        foreach (var warning in decoded.Warnings)
        {
            Log($"topic '{item.Topic}': {warning}");
        }

        Statistics.Sparkplug(decoded.SeqGaps, decoded.UnknownAliases, decoded.Backfilled);
        foreach (var (group, node) in decoded.Rebirths)
        {
            await RequestRebirthAsync(group, node, cancellationToken).ConfigureAwait(false);
        }

        if (decoded.Rejected is { } reason)
        {
            Statistics.Reject(reason);
            Log($"topic '{item.Topic}': rejected ({reason.ToString().ToLowerInvariant()}): {decoded.Error}");
            return [];
        }

        var records = new List<Task<long>>(2);
        foreach (var (priority, payload) in Encode(decoded.Readings))
        {
            if (payload.Length > DiskBuffer.MaxPayloadLength)
            {
                Statistics.Reject(RejectReason.Payload);
                Log($"topic '{item.Topic}': rejected (payload): {payload.Length.ToString(CultureInfo.InvariantCulture)} bytes of readings exceed a buffer record");
                return [];
            }

            if (item.Args.ApplicationMessage.Dup && _alreadyBuffered is not null && _alreadyBuffered(payload))
            {
                // Appended before a crash, never acknowledged, redelivered: acknowledge it without a second copy.
                Statistics.RedeliveredDuplicate();
                records.Add(Task.FromResult(-1L));
                continue;
            }

            records.Add(StartAppend(priority, payload, cancellationToken));
        }

        Statistics.Wrote(decoded.Readings.Count);
        return records;
    }

    private Task<long> StartAppend(RecordPriority priority, byte[] payload, CancellationToken cancellationToken)
    {
        try
        {
            return _sink(priority, payload, cancellationToken).AsTask();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromException<long>(ex);
        }
    }

    /// <summary>Counters and gauges in separate records (a full buffer drops gauges first), lines as <c>run</c> writes Modbus readings.</summary>
    private List<(RecordPriority Priority, byte[] Payload)> Encode(List<MeterReading> readings)
    {
        var records = new List<(RecordPriority, byte[])>(2);
        foreach (var priority in (ReadOnlySpan<RecordPriority>)[RecordPriority.Counter, RecordPriority.Gauge])
        {
            var lines = new StringBuilder();
            foreach (var meter in readings.Where(r => IsCounter(r.Reading.Field) == (priority == RecordPriority.Counter)).GroupBy(r => r.Meter, StringComparer.Ordinal))
            {
                LineProtocolWriter.WriteMeterLines(lines, _site, meter.Key, meter.Select(r => r.Reading));
            }

            if (lines.Length > 0)
            {
                records.Add((priority, Encoding.UTF8.GetBytes(lines.ToString())));
            }
        }

        return records;
    }

    private static bool IsCounter(string field) => FieldVocabulary.TryGet(field, out var known) && known.Kind == FieldKind.Counter;

    private async Task AcknowledgeAsync(Received item, CancellationToken cancellationToken)
    {
        if (item.Args.ApplicationMessage.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce)
        {
            return;
        }

        try
        {
            await item.Args.AcknowledgeAsync(cancellationToken).ConfigureAwait(false);
            Statistics.Acknowledge();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The connection it came on is gone: the broker sends it again (a duplicate reading, never a lost one).
            Log($"topic '{item.Topic}': acknowledgement not sent ({ex.Message}); the broker will send the message again");
        }
    }

    private async Task RequestRebirthAsync(string group, string node, CancellationToken cancellationToken)
    {
        var topic = SparkplugSession.CommandTopic(group, node);
        try
        {
            var command = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(SparkplugSession.RebirthCommand(_time.GetUtcNow()))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce)
                .Build();
            await _client.PublishAsync(command, cancellationToken).ConfigureAwait(false);
            Statistics.RebirthSent();
            Log($"asked edge node '{group}/{node}' for a rebirth ({topic})");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            Log($"could not ask edge node '{group}/{node}' for a rebirth: {ex.Message}");
        }
    }

    private void Log(string message) => _log.WriteLine($"{Description}: {message}");

    private sealed record Received(MqttApplicationMessageReceivedEventArgs Args, string Topic, byte[] Payload, DateTimeOffset ReceivedAt);
}
