using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Monitoring.Edge.Inputs.Mqtt.Sparkplug;
using Monitoring.Simulators.Model;
using Monitoring.Simulators.Scenarios;
using MQTTnet;
using MQTTnet.Protocol;

namespace Monitoring.Simulators.Devices;

/// <summary>
/// The scenario's MQTT meters: every <c>publishEvery</c> of virtual time (at least every 200 ms of real time),
/// each publishes one JSON reading, QoS 1, on <c>monitoring-sim/SITE/METER</c>:
/// <c>{"ts":"2025-03-01T10:00:00.000Z","energy_import_kwh":1234.5,"power_kw":42.1}</c>.
/// <c>ts</c> is the meter's clock (a clock-skew fault shifts it); a dropped or sentinel meter stays silent.
/// With <c>sparkplug</c> they are instead the devices of one Sparkplug B edge node <c>monitoring-sim</c> in group SITE:
/// NBIRTH (with bdSeq, and an NDEATH will), one DBIRTH per meter naming each field as a metric with an alias, then DDATA
/// by alias with the meter's timestamp and a seq that wraps at 256.
/// </summary>
public sealed class MqttMeters : IAsyncDisposable
{
    public const string TopicPrefix = "monitoring-sim";

    /// <summary>The Sparkplug B edge node id of the simulated meters.</summary>
    public const string SparkplugNode = "monitoring-sim";

    private const uint SparkplugDouble = 10;
    private const uint SparkplugUInt64 = 8;

    private readonly LivePlant _plant;
    private readonly Uri _broker;
    private readonly TimeSpan _publishEvery;
    private readonly int[] _meters;
    private readonly IMqttClient _client;
    private readonly CancellationTokenSource _stopping = new();
    private readonly bool _sparkplug;
    private ulong _bdSeq;
    private ulong _seq;
    private Task? _loop;

    public MqttMeters(LivePlant plant, Uri broker, TimeSpan publishEvery, bool sparkplug = false)
    {
        ArgumentNullException.ThrowIfNull(plant);
        _plant = plant;
        _broker = broker;
        _publishEvery = publishEvery;
        _meters = [.. plant.Scenario.Meters.Select((m, i) => (m, i)).Where(x => x.m.Device == DeviceKind.Mqtt).Select(x => x.i)];
        _client = new MqttClientFactory().CreateMqttClient();
        _sparkplug = sparkplug;
    }

    public IEnumerable<string> MeterIds => _meters.Select(i => _plant.Scenario.Meters[i].Id);

    public long Published { get; private set; }

    public static string Topic(string site, string meter) => $"{TopicPrefix}/{site}/{meter}";

    /// <summary>Parses <c>mqtt://host:port</c>, <c>tcp://host:port</c> or <c>host:port</c>.</summary>
    public static Uri ParseBroker(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "mqtt://" + text;
        return Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            ? uri
            : throw new FormatException($"'{text}' is not an MQTT broker address (mqtt://host:port).");
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        _loop = PublishLoopAsync(_stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync().ConfigureAwait(false);
        }

        _client.Dispose();
        _stopping.Dispose();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var port = _broker.IsDefaultPort || _broker.Port <= 0 ? 1883 : _broker.Port;
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_broker.Host, port)
            .WithClientId($"monitoring-sim-{_plant.Scenario.Site.Id}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}")
            .WithCleanSession();
        if (_sparkplug)
        {
            // The broker announces the node's death with the bdSeq of the session it ends.
            _bdSeq++;
            builder = builder
                .WithWillTopic(SparkplugTopic("NDEATH", device: null))
                .WithWillPayload(new Payload { Timestamp = Now(), Metrics = { BdSeq() } }.ToByteArray())
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await _client.ConnectAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        if (_sparkplug)
        {
            await PublishBirthsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private string SparkplugTopic(string type, string? device) =>
        device is null ? $"spBv1.0/{_plant.Scenario.Site.Id}/{type}/{SparkplugNode}" : $"spBv1.0/{_plant.Scenario.Site.Id}/{type}/{SparkplugNode}/{device}";

    private ulong Now() => (ulong)_plant.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    private Payload.Types.Metric BdSeq() => new() { Name = "bdSeq", Datatype = SparkplugUInt64, LongValue = _bdSeq };

    /// <summary>Aliases are unique per node: meter index × 100 + field index + 1.</summary>
    private static ulong Alias(int meter, int field) => ((ulong)meter * 100) + (ulong)field + 1;

    private async Task PublishBirthsAsync(CancellationToken cancellationToken)
    {
        _seq = 0;
        await PublishAsync(SparkplugTopic("NBIRTH", null), new Payload { Timestamp = Now(), Seq = NextSeq(), Metrics = { BdSeq() } }, cancellationToken).ConfigureAwait(false);
        foreach (var index in _meters)
        {
            var meter = _plant.Scenario.Meters[index];
            var values = new double[meter.Fields.Count];
            var (_, t) = _plant.Read(index, values);
            var birth = new Payload { Timestamp = (ulong)t.ToUnixTimeMilliseconds(), Seq = NextSeq() };
            for (var i = 0; i < meter.Fields.Count; i++)
            {
                if (meter.Reported[i])
                {
                    birth.Metrics.Add(new Payload.Types.Metric { Name = meter.Fields[i], Alias = Alias(index, i), Datatype = SparkplugDouble, DoubleValue = Math.Round(values[i], 3) });
                }
            }

            await PublishAsync(SparkplugTopic("DBIRTH", meter.Id), birth, cancellationToken).ConfigureAwait(false);
        }
    }

    private ulong NextSeq()
    {
        var seq = _seq;
        _seq = (_seq + 1) % 256;
        return seq;
    }

    private Task<MqttClientPublishResult> PublishAsync(string topic, Payload payload, CancellationToken cancellationToken) =>
        _client.PublishAsync(
            new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload.ToByteArray()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            cancellationToken);

    /// <summary>DDATA of meter <paramref name="index"/> by alias; null when the meter says nothing.</summary>
    private Payload? SparkplugData(int index)
    {
        var meter = _plant.Scenario.Meters[index];
        Span<double> values = stackalloc double[meter.Fields.Count];
        var (answer, t) = _plant.Read(index, values);
        if (answer.Status != ReadStatus.Ok)
        {
            return null;
        }

        var data = new Payload { Timestamp = (ulong)(t + answer.ClockSkew).ToUnixTimeMilliseconds(), Seq = NextSeq() };
        for (var i = 0; i < meter.Fields.Count; i++)
        {
            if (meter.Reported[i])
            {
                data.Metrics.Add(new Payload.Types.Metric { Alias = Alias(index, i), Datatype = SparkplugDouble, DoubleValue = Math.Round(values[i], 3) });
            }
        }

        return data;
    }

    private async Task PublishLoopAsync(CancellationToken stopping)
    {
        var realPeriod = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(200).Ticks, (long)(_publishEvery.Ticks / _plant.Clock.Speed)));
        var buffer = new ArrayBufferWriter<byte>(512);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    await ConnectAsync(stopping).ConfigureAwait(false);
                }

                foreach (var index in _meters)
                {
                    if (_sparkplug)
                    {
                        if (SparkplugData(index) is { } data)
                        {
                            await PublishAsync(SparkplugTopic("DDATA", _plant.Scenario.Meters[index].Id), data, stopping).ConfigureAwait(false);
                            Published++;
                        }

                        continue;
                    }

                    if (Payload(index, buffer))
                    {
                        var message = new MqttApplicationMessageBuilder()
                            .WithTopic(Topic(_plant.Scenario.Site.Id, _plant.Scenario.Meters[index].Id))
                            .WithPayload(buffer.WrittenMemory.ToArray())
                            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                            .Build();
                        await _client.PublishAsync(message, stopping).ConfigureAwait(false);
                        Published++;
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the broker may be down: keep trying, as a real meter does
            catch (Exception ex)
#pragma warning restore CA1031
            {
                await Console.Error.WriteLineAsync($"monitoring-sim: MQTT {_broker}: {ex.Message}").ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(realPeriod, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The JSON reading of meter <paramref name="index"/> now; false when the meter says nothing.</summary>
    private bool Payload(int index, ArrayBufferWriter<byte> buffer)
    {
        var meter = _plant.Scenario.Meters[index];
        Span<double> values = stackalloc double[meter.Fields.Count];
        var (answer, t) = _plant.Read(index, values);
        if (answer.Status != ReadStatus.Ok)
        {
            return false;
        }

        buffer.ResetWrittenCount();
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("ts", (t + answer.ClockSkew).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        for (var i = 0; i < meter.Fields.Count; i++)
        {
            if (meter.Reported[i])
            {
                json.WriteNumber(meter.Fields[i], Math.Round(values[i], 3));
            }
        }

        json.WriteEndObject();
        json.Flush();
        return true;
    }
}
