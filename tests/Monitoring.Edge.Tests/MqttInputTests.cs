using System.Text;
using Monitoring.Storage;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Inputs.Mqtt;
using Monitoring.Edge.Polling;
using Monitoring.Testing;
using MQTTnet;
using MQTTnet.Protocol;
using static Monitoring.Edge.Tests.SparkplugPayloads;

namespace Monitoring.Edge.Tests;

[CollectionDefinition(Name)]
public sealed class MqttInputBrokerDefinition : ICollectionFixture<MosquittoFixture>
{
    public const string Name = "edge mqtt input broker";
}

/// <summary>
/// The MQTT input against the real mosquitto of ./test.sh: messages published by mosquitto_pub (or, for binary
/// Sparkplug B payloads, by a separate MQTTnet client) must land in the disk buffer as the agent's line protocol.
/// </summary>
[Collection(MqttInputBrokerDefinition.Name)]
public sealed class MqttInputTests(MosquittoFixture mosquitto) : IAsyncDisposable
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly string _bufferDirectory = Path.Combine(Path.GetTempPath(), "mqtt-input-test-" + Guid.NewGuid().ToString("N"));
    private readonly StringWriter _log = new();
    private readonly List<IAsyncDisposable> _disposables = [];

    private string Site => "casa-" + _id;

    public async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        if (Directory.Exists(_bufferDirectory))
        {
            Directory.Delete(_bufferDirectory, recursive: true);
        }
    }

    private MqttInputSettings Settings(string subscriptions, string? clientId = null, int qos = 1)
    {
        var result = EdgeConfigurationLoader.Load("edge.yaml", $"""
            site: {Site}
            agent: gw-01
            mqtt_inputs:
              - url: mqtt://{mosquitto.Endpoint}
                client_id: {clientId ?? "input-test-" + _id}
                qos: {qos}
                subscriptions:
            {subscriptions}
            """);
        Assert.True(result.Configuration is not null, string.Join(Environment.NewLine, result.Errors));
        return result.Configuration!.MqttInputs![0];
    }

    private async Task<DiskBuffer> OpenBufferAsync(string? directory = null)
    {
        var buffer = DiskBuffer.Open(new DiskBufferOptions { Directory = directory ?? _bufferDirectory }, out _);
        _disposables.Add(buffer);
        await Task.CompletedTask;
        return buffer;
    }

    /// <summary>Starts an input and waits until it is connected and subscribed.</summary>
    private async Task<(MqttInput Input, Task Run, CancellationTokenSource Stop)> StartAsync(MqttInputSettings settings, RecordSink sink)
    {
        var input = new MqttInput(settings, Site, sink, _log);
        var stop = TestTimeouts.Start();
        var run = input.RunAsync(stop.Token);
        _disposables.Add(new Stopper(input, run, stop));
        while (!input.Statistics.Connected)
        {
            Assert.False(run.IsCompleted, "the input stopped: " + _log);
            await Task.Delay(20, stop.Token);
        }

        return (input, run, stop);
    }

    private static async Task<IReadOnlyList<BufferedRecord>> WaitForRecordsAsync(DiskBuffer buffer, int count, CancellationToken cancellationToken)
    {
        using var budget = TestTimeouts.Link(cancellationToken);
        while (true)
        {
            var records = buffer.Peek(1000);
            if (records.Count >= count)
            {
                return records;
            }

            await Task.Delay(20, budget.Token);
        }
    }

    private static string Text(BufferedRecord record) => Encoding.UTF8.GetString(record.Payload.Span);

    private async Task PublishAsync(string topic, string payload, CancellationToken cancellationToken)
    {
        var result = await mosquitto.PublishWithCliAsync(topic, payload, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
        Assert.True(result.ExitCode == 0, result.StandardError);
    }

    [Fact]
    public async Task Home_Assistant_statestream_states_become_readings()
    {
        // The configuration of docs/integrations.md (Home Assistant), under this test's topic prefix; mosquitto_pub
        // publishes as mqtt_statestream does: the bare state, and the attributes on topics of their own.
        using var stop = TestTimeouts.Start();
        var buffer = await OpenBufferAsync();
        var prefix = $"{_id}/homeassistant-states";
        await StartAsync(Settings($"""
                  - {"{"} topic: "{prefix}/sensor/compressor_energy/state", format: number, meter: compressors, field: energy_import_kwh {"}"}
                  - {"{"} topic: "{prefix}/sensor/compressor_power/state", format: number, meter: compressors, field: power_kw, unit: W {"}"}
            """), buffer.AppendAsync);

        await PublishAsync($"{prefix}/sensor/compressor_energy/state", "15230.75", stop.Token);
        await PublishAsync($"{prefix}/sensor/compressor_energy/unit_of_measurement", "\"kWh\"", stop.Token);
        await PublishAsync($"{prefix}/sensor/compressor_power/state", "48250", stop.Token);
        var records = await WaitForRecordsAsync(buffer, 2, stop.Token);

        Assert.Matches($@"^meter,site={Site},meter=compressors energy_import_kwh=15230\.75 \d{{19}}\n$", Text(records[0]));
        Assert.Matches($@"^meter,site={Site},meter=compressors power_kw=48\.25 \d{{19}}\n$", Text(records[1]));
    }

    [Fact]
    public async Task Json_published_by_mosquitto_pub_lands_in_the_buffer_as_line_protocol()
    {
        using var stop = TestTimeouts.Start();
        var buffer = await OpenBufferAsync();
        var (input, _, _) = await StartAsync(Settings($"""
                  - topic: {_id}/factory/{"{site}"}/{"{meter}"}/state
                    format: json
                    fields:
                      - {"{"} field: energy_import_kwh, path: $.energy.total, unit: Wh {"}"}
                      - {"{"} field: power_kw, path: $.power, unit: W {"}"}
                    timestamp: {"{"} path: $.ts, format: unix_ms {"}"}
            """), buffer.AppendAsync);

        await PublishAsync($"{_id}/factory/{Site}/m-main/state", """{"energy":{"total":123456},"power":1520.5,"ts":1740823140000}""", stop.Token);
        var records = await WaitForRecordsAsync(buffer, 2, stop.Token);

        Assert.Equal(
            [
                (RecordPriority.Counter, $"meter,site={Site},meter=m-main energy_import_kwh=123.456 1740823140000000000\n"),
                (RecordPriority.Gauge, $"meter,site={Site},meter=m-main power_kw=1.5205 1740823140000000000\n"),
            ],
            records.Select(r => (r.Priority, Text(r))));
        Assert.Equal((1, 2, 0), (input.Statistics.Messages, input.Statistics.Readings, input.Statistics.Rejected));
    }

    [Fact]
    public async Task Plain_numbers_and_line_protocol_are_buffered_with_the_receive_time_when_they_carry_none()
    {
        using var stop = TestTimeouts.Start();
        var buffer = await OpenBufferAsync();
        var before = DateTimeOffset.UtcNow;
        await StartAsync(Settings($"""
                  - {"{"} topic: "{_id}/water/{"{meter}"}/volume", format: number, field: volume_m3, scale: 0.001 {"}"}
                  - {"{"} topic: "{_id}/lp/#", format: line_protocol, precision: s {"}"}
            """), buffer.AppendAsync);

        await PublishAsync($"{_id}/water/water-main/volume", "4321500", stop.Token);
        var number = Assert.Single(await WaitForRecordsAsync(buffer, 1, stop.Token));
        await PublishAsync($"{_id}/lp/telegraf", $"meter,host=gw,site={Site},meter=chiller energy_import_kwh=42i,power_kw=12.5 1740823140\nmeter,meter=boiler gas_volume_nm3=7.25 1740823141", stop.Token);
        var records = await WaitForRecordsAsync(buffer, 3, stop.Token);

        var match = System.Text.RegularExpressions.Regex.Match(Text(number), $@"^meter,site={Site},meter=water-main volume_m3=4321\.5 (\d{{19}})\n$");
        Assert.True(match.Success, Text(number));
        var stamped = DateTimeOffset.UnixEpoch.AddTicks(long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) / 100);
        Assert.InRange(stamped, before, DateTimeOffset.UtcNow);
        Assert.Equal(
            [
                (RecordPriority.Counter, $"meter,site={Site},meter=chiller energy_import_kwh=42 1740823140000000000\nmeter,site={Site},meter=boiler gas_volume_nm3=7.25 1740823141000000000\n"),
                (RecordPriority.Gauge, $"meter,site={Site},meter=chiller power_kw=12.5 1740823140000000000\n"),
            ],
            records.Where((_, i) => i > 0).Select(r => (r.Priority, Text(r))));
    }

    [Fact]
    public async Task A_bad_payload_is_logged_with_its_topic_counted_and_acknowledged_and_the_input_goes_on()
    {
        using var stop = TestTimeouts.Start();
        var buffer = await OpenBufferAsync();
        var settings = Settings($"""
                  - {"{"} topic: "{_id}/m/{"{meter}"}", format: number, field: power_kw {"}"}
            """);
        var (input, run, running) = await StartAsync(settings, buffer.AppendAsync);

        await PublishAsync($"{_id}/m/m-1", "twelve", stop.Token);
        await PublishAsync($"{_id}/other-site/m-1", "1", stop.Token); // not subscribed: never arrives
        await PublishAsync($"{_id}/m/m-1", "12", stop.Token);
        var record = Assert.Single(await WaitForRecordsAsync(buffer, 1, stop.Token));

        Assert.Matches($@"^meter,site={Site},meter=m-1 power_kw=12 \d{{19}}\n$", Text(record));
        Assert.Equal((2, 1, 1), (input.Statistics.Messages, input.Statistics.RejectedPayload, input.Statistics.Rejected));
        Assert.Contains($"topic '{_id}/m/m-1': rejected (payload): expected a plain number for power_kw, got 'twelve'", _log.ToString(), StringComparison.Ordinal);
        while (input.Statistics.Acknowledged < 2)
        {
            await Task.Delay(20, stop.Token);
        }

        // Acknowledged: the same session started again gets nothing back.
        await running.CancelAsync();
        await run;
        await input.DisposeAsync();
        var (again, _, _) = await StartAsync(settings, buffer.AppendAsync);
        await PublishAsync($"{_id}/m/m-1", "13", stop.Token);
        await WaitForRecordsAsync(buffer, 2, stop.Token);
        // The broker resends a session's unacknowledged messages before new ones: only the new one came.
        Assert.Equal(1, again.Statistics.Messages);
        Assert.Matches(@" power_kw=13 \d{19}\n$", Text(buffer.Peek(10)[^1]));
    }

    [Fact]
    public async Task When_the_broker_drops_the_session_the_input_reconnects_resubscribes_and_keeps_receiving()
    {
        using var stop = TestTimeouts.Start();
        var buffer = await OpenBufferAsync();
        var clientId = "input-takeover-" + _id;
        var (input, _, _) = await StartAsync(Settings($"""
                  - {"{"} topic: "{_id}/m/{"{meter}"}", format: number, field: power_kw {"}"}
            """, clientId), buffer.AppendAsync);
        await PublishAsync($"{_id}/m/m-1", "1", stop.Token);
        await WaitForRecordsAsync(buffer, 1, stop.Token);

        // Another client takes the client id over with a clean start: the broker disconnects the input and
        // throws its session (and subscriptions) away. Only subscribing again on the next connect brings messages back.
        using (var intruder = await mosquitto.ConnectClientAsync(clientId, stop.Token))
        {
            while (input.Statistics.Connected)
            {
                await Task.Delay(20, stop.Token);
            }

            if (intruder.IsConnected)
            {
                await intruder.DisconnectAsync();
            }
        }

        while (!input.Statistics.Connected || input.Statistics.Connects < 2)
        {
            await Task.Delay(20, stop.Token);
        }

        await PublishAsync($"{_id}/m/m-1", "2", stop.Token);
        var records = await WaitForRecordsAsync(buffer, 2, stop.Token);

        Assert.Matches(@" power_kw=2 \d{19}\n$", Text(records[1]));
        Assert.Contains("connection lost; reconnecting", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_is_acknowledged_only_once_its_readings_are_durable()
    {
        using var stop = TestTimeouts.Start();
        var settings = Settings($"""
                  - {"{"} topic: "{_id}/m/{"{meter}"}", format: number, field: energy_import_kwh {"}"}
            """, "input-ack-" + _id);

        // 1. The buffer takes the append but never says it is durable (a disk that hangs, a crash before fsync).
        var appendStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var neverDurable = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (held, heldRun, heldStop) = await StartAsync(settings, (_, _, cancellationToken) =>
        {
            appendStarted.TrySetResult();
            return new ValueTask<long>(neverDurable.Task.WaitAsync(cancellationToken));
        });
        await PublishAsync($"{_id}/m/m-1", "1000.5", stop.Token);
        await appendStarted.Task.WaitAsync(stop.Token);
        await Task.Delay(300, stop.Token); // time for an early PUBACK to reach the broker, were one sent
        Assert.Equal((1, 0), (held.Statistics.Messages, held.Statistics.Acknowledged));

        // The agent dies before the append completed: no PUBACK was sent, so the broker keeps the message...
        await heldStop.CancelAsync();
        await heldRun;
        await held.DisposeAsync();

        // 2. ...and sends it again to the next session, whose buffer works.
        var buffer = await OpenBufferAsync();
        var (next, nextRun, nextStop) = await StartAsync(settings, buffer.AppendAsync);
        var record = Assert.Single(await WaitForRecordsAsync(buffer, 1, stop.Token));
        Assert.Matches($@"^meter,site={Site},meter=m-1 energy_import_kwh=1000\.5 \d{{19}}\n$", Text(record));
        while (next.Statistics.Acknowledged < 1)
        {
            await Task.Delay(20, stop.Token);
        }

        // 3. Acknowledged after the append: a third session gets nothing back.
        await nextStop.CancelAsync();
        await nextRun;
        await next.DisposeAsync();
        var (third, _, _) = await StartAsync(settings, buffer.AppendAsync);
        await PublishAsync($"{_id}/m/m-1", "1001", stop.Token);
        await WaitForRecordsAsync(buffer, 2, stop.Token);
        // The broker resends a session's unacknowledged messages before new ones: only the new one came.
        Assert.Equal(1, third.Statistics.Messages);
        Assert.Matches(@" energy_import_kwh=1001 \d{19}\n$", Text(buffer.Peek(10)[^1]));
    }

    /// <summary>The metric table, indented for a subscription of <see cref="Settings"/>.</summary>
    private const string SparkplugMetrics = """
                metrics:
                  - { metric: Energy/Import, field: energy_import_kwh, unit: Wh }
                  - { metric: Power, field: power_kw, unit: W }
        """;

    private async Task<IMqttClient> EdgeNodeAsync(CancellationToken cancellationToken)
    {
        var client = await mosquitto.ConnectClientAsync("edge-node-" + _id, cancellationToken);
        _disposables.Add(new ClientDisposer(client));
        return client;
    }

    private static async Task SendAsync(IMqttClient client, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
        Assert.True(result.IsSuccess, $"{topic}: {result.ReasonCode}");
    }

    [Fact]
    public async Task Sparkplug_b_births_data_history_and_death_through_the_broker()
    {
        using var stop = TestTimeouts.Start();
        var buffer = await OpenBufferAsync();
        var (input, _, _) = await StartAsync(Settings($"""
                  - topic: spBv1.0/{"{site}"}/#
                    format: sparkplug_b
                    meters: {"{"} "EM 1": em-1 {"}"}
            {SparkplugMetrics}
            """), buffer.AppendAsync);
        var node = await EdgeNodeAsync(stop.Token);
        const ulong T = 1740823000000;

        await SendAsync(node, $"spBv1.0/{Site}/NBIRTH/gw-7", Payload(0, T, BdSeq(1)), stop.Token);
        await SendAsync(node, $"spBv1.0/{Site}/DBIRTH/gw-7/EM 1", Payload(1, T, Birth("Energy/Import", 1, 10000), BirthFloat("Power", 2, 500f)), stop.Token);
        await SendAsync(node, $"spBv1.0/{Site}/DDATA/gw-7/EM 1", Payload(2, T + 1000, Data(1, 10500), DataFloat(2, 750.5f)), stop.Token);
        await SendAsync(node, $"spBv1.0/{Site}/DDATA/gw-7/EM 1", Payload(3, T + 2000, Data(1, 9000, timestamp: T - 3_600_000, historical: true)), stop.Token);
        await SendAsync(node, $"spBv1.0/{Site}/DDEATH/gw-7/EM 1", Payload(4, T + 3000), stop.Token);
        var records = await WaitForRecordsAsync(buffer, 5, stop.Token);
        while (input.Statistics.Messages < 5)
        {
            await Task.Delay(20, stop.Token);
        }

        Assert.Equal(
            [
                $"meter,site={Site},meter=em-1 energy_import_kwh=10 1740823000000000000\n",
                $"meter,site={Site},meter=em-1 power_kw=0.5 1740823000000000000\n",
                $"meter,site={Site},meter=em-1 energy_import_kwh=10.5 1740823001000000000\n",
                $"meter,site={Site},meter=em-1 power_kw=0.7505 1740823001000000000\n",
                $"meter,site={Site},meter=em-1 energy_import_kwh=9 1740819400000000000\n",
            ],
            records.Select(Text));
        // A message the broker delivers again (after a reconnect of a loaded test machine) is refused as a repeated
        // sequence number: whatever arrived beyond the five sent was refused, and nothing was buffered twice.
        Assert.Equal((1, 0L), (input.Statistics.Backfilled, input.Statistics.Rebirths));
        Assert.Equal(input.Statistics.Messages - 5, input.Statistics.Rejected);
        Assert.False(input.Sparkplug.IsDeviceOnline(Site, "gw-7", "EM 1"));
        Assert.Equal(1, input.Sparkplug.DevicesOffline);
    }

    [Fact]
    public async Task Sparkplug_b_unknown_aliases_and_seq_gaps_publish_a_rebirth_command()
    {
        using var stop = TestTimeouts.Start();
        var buffer = await OpenBufferAsync();
        var (input, _, _) = await StartAsync(Settings($"""
                  - topic: spBv1.0/{"{site}"}/#
                    format: sparkplug_b
            {SparkplugMetrics}
            """), buffer.AppendAsync);
        var node = await EdgeNodeAsync(stop.Token);
        var commands = new List<(string Topic, Inputs.Mqtt.Sparkplug.Payload Payload)>();
        node.ApplicationMessageReceivedAsync += e =>
        {
            lock (commands)
            {
                commands.Add((e.ApplicationMessage.Topic, Inputs.Mqtt.Sparkplug.Payload.Parser.ParseFrom(e.ApplicationMessage.Payload)));
            }

            return Task.CompletedTask;
        };
        await node.SubscribeAsync(mosquitto.Factory.CreateSubscribeOptionsBuilder().WithTopicFilter($"spBv1.0/{Site}/NCMD/+").Build(), stop.Token);

        // gw-1 sends data with an alias its birth never bound; gw-2 skips seq 2.
        foreach (var edgeNode in new[] { "gw-1", "gw-2" })
        {
            await SendAsync(node, $"spBv1.0/{Site}/NBIRTH/{edgeNode}", Payload(0, 1740822000000, BdSeq(0), Birth("Power", 1, 1000)), stop.Token);
        }

        await SendAsync(node, $"spBv1.0/{Site}/NDATA/gw-1", Payload(1, 1740823000000, Data(1, 2000), Data(7, 1)), stop.Token);
        await SendAsync(node, $"spBv1.0/{Site}/NDATA/gw-2", Payload(1, 1740823000000, Data(1, 3000)), stop.Token);
        await SendAsync(node, $"spBv1.0/{Site}/NDATA/gw-2", Payload(3, 1740823001000, Data(1, 4000)), stop.Token);

        while (true)
        {
            lock (commands)
            {
                if (commands.Count >= 2)
                {
                    break;
                }
            }

            await Task.Delay(20, stop.Token);
        }

        await Task.Delay(300, stop.Token); // no more than one command per node
        lock (commands)
        {
            Assert.Equal([$"spBv1.0/{Site}/NCMD/gw-1", $"spBv1.0/{Site}/NCMD/gw-2"], commands.Select(c => c.Topic).Order(StringComparer.Ordinal));
            Assert.All(commands, c => Assert.Equal(("Node Control/Rebirth", true), (Assert.Single(c.Payload.Metrics).Name, c.Payload.Metrics[0].BooleanValue)));
        }

        Assert.Equal((2L, 1L, 1L), (input.Statistics.Rebirths, input.Statistics.UnknownAliases, input.Statistics.SeqGaps));
        Assert.Contains($"topic 'spBv1.0/{Site}/NDATA/gw-1': unknown alias 7", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains("seq 3 where 2 was expected", _log.ToString(), StringComparison.Ordinal);

        // The data that resolved is kept, the gap's included (2 W, 3 W, 4 W plus the births' 1 W twice).
        var records = await WaitForRecordsAsync(buffer, 5, stop.Token);
        Assert.Equal(5, records.Count);
    }

    [Fact]
    public async Task The_agent_runs_mqtt_inputs_without_devices_and_reports_them_in_edge_status()
    {
        using var stop = TestTimeouts.Start();
        var configuration = EdgeConfigurationLoader.Load("edge.yaml", $"""
            site: {Site}
            agent: gw-01
            buffer: {"{"} directory: {_bufferDirectory} {"}"}
            uplink: {"{"} url: "http://127.0.0.1:9/", batch_age: 0ms {"}"}
            mqtt_inputs:
              - url: mqtt://{mosquitto.Endpoint}
                client_id: agent-input-{_id}
                subscriptions:
                  - {"{"} topic: "{_id}/m/{"{meter}"}", format: number, field: power_kw {"}"}
            """).Configuration!;
        await using var agent = new EdgeAgent(configuration, out _, log: _log);
        var run = agent.RunAsync(stop.Token);
        var input = Assert.Single(agent.MqttInputs);
        while (!input.Statistics.Connected)
        {
            await Task.Delay(20, stop.Token);
        }

        await PublishAsync($"{_id}/m/m-9", "7", stop.Token);
        await PublishAsync($"{_id}/m/m-9", "seven", stop.Token);
        await WaitForRecordsAsync(agent.Buffer, 1, stop.Token);
        while (input.Statistics.Messages < 2)
        {
            await Task.Delay(20, stop.Token);
        }

        var health = agent.HealthLine();
        await stop.CancelAsync();
        await run;

        Assert.Contains(" power_kw=7 ", Text(agent.Buffer.Peek(10)[0]), StringComparison.Ordinal);
        Assert.Contains(",mqtt_up=1,mqtt_connects_total=1,mqtt_connect_failures_total=0,mqtt_messages_total=2,mqtt_readings_total=1,mqtt_rejected_total=1,mqtt_rejected_payload=1,", health, StringComparison.Ordinal);
        Assert.Contains(",mqtt_rebirths_total=0,", health, StringComparison.Ordinal);

        // Every field the agent reports is in the vocabulary the server takes agent health lines with.
        var fields = health.Split(' ')[1].Split(',').Select(f => f[..f.IndexOf('=', StringComparison.Ordinal)]).ToList();
        Assert.All(fields, f => Assert.Contains(f, Monitoring.Domain.Registry.AgentHealthVocabulary.Fields));
        Assert.Equal(Monitoring.Domain.Registry.AgentHealthVocabulary.Fields.Order(StringComparer.Ordinal), fields.Order(StringComparer.Ordinal));
    }

    private sealed class Stopper(MqttInput input, Task run, CancellationTokenSource stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await run;
            await input.DisposeAsync();
            stop.Dispose();
        }
    }

    private sealed class ClientDisposer(IMqttClient client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync();
            }

            client.Dispose();
        }
    }
}
