using System.Text;
using System.Threading.Channels;
using Monitoring.Edge.Inputs.Mqtt;
using Monitoring.Edge.Polling;
using Monitoring.Edge.Uplink;
using Monitoring.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Monitoring.Edge.Tests;

/// <summary>
/// MQTT 3.1.1 against the real mosquitto, for meter gateways and brokers that speak nothing newer: an input configured
/// for 3.1.1 and fed by a 3.1.1 publisher, in the real `monitoring-edge run`; and the uplink configured for 3.1.1.
/// </summary>
[Collection(MqttInputBrokerDefinition.Name)]
public sealed class Mqtt311Tests(MosquittoFixture mosquitto) : IAsyncDisposable
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly AgentWorkspace _workspace = new("mqtt311");

    public ValueTask DisposeAsync() => _workspace.DisposeAsync();

    [Fact]
    public async Task A_3_1_1_input_buffers_json_and_sparkplug_b_from_a_3_1_1_publisher_with_exact_values()
    {
        using var stop = TestTimeouts.Start(TimeSpan.FromMinutes(2));
        var site = "v311-" + _id;
        var config = Path.Combine(_workspace.Folder, "edge.yaml");
        await File.WriteAllTextAsync(config, $"""
            site: {site}
            agent: gw-01
            health_interval: 1h
            mqtt_inputs:
              - url: mqtt://{mosquitto.Endpoint}
                protocol: '3.1.1'
                client_id: input311-{_id}
                subscriptions:
                  - topic: "json-{site}/{"{"}meter{"}"}/state"
                    format: json
                    fields:
                      - {"{"} field: energy_import_kwh, path: $.energy, unit: Wh {"}"}
                      - {"{"} field: power_kw, path: $.power {"}"}
                    timestamp: {"{"} path: $.ts, format: unix_ms {"}"}
                  - topic: spBv1.0/{"{"}site{"}"}/#
                    format: sparkplug_b
                    meters: {"{"} "EM 1": em-1 {"}"}
                    metrics:
                      - {"{"} metric: Energy/Import, field: energy_import_kwh, unit: Wh {"}"}
                      - {"{"} metric: Power, field: power_kw, unit: W {"}"}
            buffer: {"{"} directory: {Path.Combine(_workspace.Folder, "buffer")}, fsync: false {"}"}
            uplink: {"{"} url: 'mqtt://{mosquitto.Endpoint}', batch_age: 0ms {"}"}
            """, stop.Token);

        // What leaves the buffer: the uplink's batches, read by a 3.1.1 subscriber.
        using var subscriber = await mosquitto.ConnectClientAsync("uplink-sub-" + _id, stop.Token, MqttProtocolVersion.V311);
        var batches = Channel.CreateUnbounded<MqttApplicationMessage>();
        subscriber.ApplicationMessageReceivedAsync += e => batches.Writer.WriteAsync(e.ApplicationMessage).AsTask();
        await subscriber.SubscribeAsync(mosquitto.Factory.CreateSubscribeOptionsBuilder().WithTopicFilter($"monitoring/v1/{site}/gw-01/lp", MqttQualityOfServiceLevel.AtLeastOnce).Build(), stop.Token);

        var agent = _workspace.Start(config);
        await agent.WaitForOutputAsync($"connected (MQTT 3.1.1) as 'input311-{_id}'", stop.Token);

        // mosquitto_pub speaking 3.1.1: two JSON meters, then a Sparkplug B node and device.
        const long T = 1764000000000;
        var qos = MqttQualityOfServiceLevel.AtLeastOnce;
        foreach (var (meter, payload) in new[] { ("m-1", $$"""{"energy":123456,"power":2.5,"ts":{{T}}}"""), ("m-2", $$"""{"energy":7000,"power":0.75,"ts":{{T + 1000}}}""") })
        {
            var published = await mosquitto.PublishWithCliAsync($"json-{site}/{meter}/state", payload, qos, stop.Token, MqttProtocolVersion.V311);
            Assert.True(published.ExitCode == 0, published.ToString());
        }

        var file = Path.Combine(_workspace.Folder, "payload.bin");
        foreach (var (topic, payload) in new (string, byte[])[]
        {
            ($"spBv1.0/{site}/NBIRTH/gw-7", SparkplugPayloads.Payload(0, T, SparkplugPayloads.BdSeq(1))),
            ($"spBv1.0/{site}/DBIRTH/gw-7/EM 1", SparkplugPayloads.Payload(1, T, SparkplugPayloads.Birth("Energy/Import", 1, 10000), SparkplugPayloads.BirthFloat("Power", 2, 500f))),
            ($"spBv1.0/{site}/DDATA/gw-7/EM 1", SparkplugPayloads.Payload(2, T + 1000, SparkplugPayloads.Data(1, 10500), SparkplugPayloads.DataFloat(2, 750.5f))),
        })
        {
            await File.WriteAllBytesAsync(file, payload, stop.Token);
            var published = await mosquitto.PublishFileWithCliAsync(topic, file, qos, stop.Token, MqttProtocolVersion.V311);
            Assert.True(published.ExitCode == 0, published.ToString());
        }

        string[] expected =
        [
            $"meter,site={site},meter=m-1 energy_import_kwh=123.456 1764000000000000000",
            $"meter,site={site},meter=m-1 power_kw=2.5 1764000000000000000",
            $"meter,site={site},meter=m-2 energy_import_kwh=7 1764000001000000000",
            $"meter,site={site},meter=m-2 power_kw=0.75 1764000001000000000",
            $"meter,site={site},meter=em-1 energy_import_kwh=10 1764000000000000000",
            $"meter,site={site},meter=em-1 power_kw=0.5 1764000000000000000",
            $"meter,site={site},meter=em-1 energy_import_kwh=10.5 1764000001000000000",
            $"meter,site={site},meter=em-1 power_kw=0.7505 1764000001000000000",
        ];
        var lines = new List<string>();
        while (!expected.All(lines.Contains))
        {
            var batch = await batches.Reader.ReadAsync(stop.Token);
            Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, batch.QualityOfServiceLevel);
            lines.AddRange(Encoding.UTF8.GetString(batch.Payload).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        Assert.Equal(0, await agent.StopAsync(stop.Token));
        Assert.Equal(expected.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_agent_connects_its_uplink_with_the_protocol_its_configuration_names()
    {
        var configuration = EdgeYaml.Valid($"""
            site: s
            agent: gw-01
            devices: []
            buffer: {"{"} directory: {Path.Combine(_workspace.Folder, "buffer")}, fsync: false {"}"}
            uplink: {"{"} url: 'mqtt://{mosquitto.Endpoint}', protocol: '3.1.1' {"}"}
            """);
        await using var agent = new EdgeAgent(configuration, out _);

        Assert.Equal($"MQTT 3.1.1 {mosquitto.Endpoint.Host}:{mosquitto.Endpoint.Port} topic monitoring/v1/s/gw-01/lp", agent.UplinkDescription);
    }

    [Fact]
    public async Task A_3_1_1_uplink_delivers_a_batch_at_qos_1_without_mqtt_5_properties()
    {
        using var stop = TestTimeouts.Start();
        var site = "up311-" + _id;
        var configuration = EdgeYaml.Valid($"""
            site: {site}
            agent: gw-01
            devices: []
            uplink: {"{"} url: 'mqtt://{mosquitto.Endpoint}', protocol: '3.1.1' {"}"}
            """);
        var settings = configuration.Uplink!;
        Assert.Equal(MqttProtocol.V311, settings.Protocol);

        // An MQTT 5 subscriber would see a batch id or a content type if the uplink had sent any.
        using var subscriber = await mosquitto.ConnectClientAsync("uplink311-sub-" + _id, stop.Token);
        var received = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await subscriber.SubscribeAsync(mosquitto.Factory.CreateSubscribeOptionsBuilder().WithTopicFilter($"monitoring/v1/{site}/gw-01/lp", MqttQualityOfServiceLevel.AtLeastOnce).Build(), stop.Token);

        var batch = $"meter,site={site},meter=m-1 energy_import_kwh=123.456 1764000000000000000\n";
        await using (var uplink = new MqttUplink(mosquitto.Endpoint.Host, mosquitto.Endpoint.Port, site, "gw-01", settings.Username, settings.Password, settings.Timeout, settings.Protocol))
        {
            Assert.Equal($"MQTT 3.1.1 {mosquitto.Endpoint.Host}:{mosquitto.Endpoint.Port} topic monitoring/v1/{site}/gw-01/lp", uplink.Description);

            // Returns once the broker's PUBACK came: what QoS 1 promises the forwarder.
            await uplink.SendAsync(Encoding.UTF8.GetBytes(batch), "gw-01@0123456789abcdef:1-1", stop.Token);
        }

        var message = await received.Task.WaitAsync(stop.Token);
        Assert.Equal(batch, Encoding.UTF8.GetString(message.Payload));
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
        Assert.True(message.UserProperties is null or { Count: 0 }, "a 3.1.1 publish carries no user properties");
        Assert.Null(message.ContentType);
    }
}
