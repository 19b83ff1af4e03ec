using System.Buffers;
using System.Globalization;
using System.Text.Json;
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
/// </summary>
public sealed class MqttMeters : IAsyncDisposable
{
    public const string TopicPrefix = "monitoring-sim";

    private readonly LivePlant _plant;
    private readonly Uri _broker;
    private readonly TimeSpan _publishEvery;
    private readonly int[] _meters;
    private readonly IMqttClient _client;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public MqttMeters(LivePlant plant, Uri broker, TimeSpan publishEvery)
    {
        ArgumentNullException.ThrowIfNull(plant);
        _plant = plant;
        _broker = broker;
        _publishEvery = publishEvery;
        _meters = [.. plant.Scenario.Meters.Select((m, i) => (m, i)).Where(x => x.m.Device == DeviceKind.Mqtt).Select(x => x.i)];
        _client = new MqttClientFactory().CreateMqttClient();
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

    private Task<MqttClientConnectResult> ConnectAsync(CancellationToken cancellationToken)
    {
        var port = _broker.IsDefaultPort || _broker.Port <= 0 ? 1883 : _broker.Port;
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_broker.Host, port)
            .WithClientId($"monitoring-sim-{_plant.Scenario.Site.Id}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}")
            .WithCleanSession()
            .Build();
        return _client.ConnectAsync(options, cancellationToken);
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
