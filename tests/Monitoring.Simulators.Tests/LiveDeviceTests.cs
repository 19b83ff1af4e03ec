using System.Globalization;
using System.Net;
using System.Text.Json;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Polling;
using Monitoring.Simulators.Cli;
using Monitoring.Simulators.Devices;
using Monitoring.Simulators.Model;
using Monitoring.Simulators.Scenarios;
using Monitoring.Testing;
using MQTTnet;

namespace Monitoring.Simulators.Tests;

[CollectionDefinition(Name)]
public sealed class MosquittoDefinition : ICollectionFixture<MosquittoFixture>
{
    public const string Name = "mosquitto";
}

/// <summary>The live devices read by the edge agent's poller, by mbpoll, and over MQTT.</summary>
[Collection(MosquittoDefinition.Name)]
public sealed class LiveDeviceTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task The_edge_poller_reads_every_modbus_device_with_values_of_the_model_at_that_virtual_time()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var clock = new VirtualClock(Scenarios.Local(scenario, "2024-03-04 10:00") + TimeSpan.FromSeconds(20), 1);
        var plant = new LivePlant(scenario, clock);
        await using var devices = new ModbusDevices(plant, IPAddress.Loopback, 0);
        devices.Start();
        var yaml = devices.EdgeConfiguration("127.0.0.1");
        var loaded = EdgeConfigurationLoader.Load("sim-edge.yaml", yaml);
        Assert.True(loaded.Configuration is not null, string.Join(Environment.NewLine, loaded.Errors) + "\n" + yaml);

        await using var poller = new EdgePoller(loaded.Configuration!, clock);
        var polls = await poller.PollOnceAsync(CancellationToken.None);

        // An independent model of the same scenario, evaluated at each reading's timestamp.
        var model = new PlantModel(scenario);
        var source = new ReadingSource(model);
        var readings = polls.SelectMany(p =>
        {
            Assert.Empty(p.Errors);
            Assert.Empty(p.Invalid);
            return p.Readings.Select(r => (Meter: p.Device.Id, Reading: r));
        }).OrderBy(x => x.Reading.Timestamp).ToList();
        Assert.Equal(
            scenario.Meters.Where(m => m.Device == DeviceKind.Modbus).Sum(m => m.ReportedFields.Count()),
            readings.Count);
        var values = new double[scenario.Meters.Max(m => m.Fields.Count)];
        foreach (var (meterId, reading) in readings)
        {
            var meter = scenario.Meters.ToList().FindIndex(m => m.Id == meterId);
            model.AdvanceTo(reading.Timestamp);
            source.Values(meter, reading.Timestamp, values);
            var expected = values[scenario.Meters[meter].Fields.ToList().IndexOf(reading.Field)];
            if (meterId == "compressors" && reading.Field == "power_kw")
            {
                continue; // load/unload cycling can flip between the request and the answer
            }

            // float32 registers keep 24 bits; fixed-point registers their divisor.
            var tolerance = (Math.Abs(expected) * 2e-7) + 0.011;
            Assert.True(Math.Abs(reading.Value - expected) <= tolerance, $"{meterId} {reading.Field}: read {reading.Value}, model {expected}");
        }

        Assert.Contains(readings, r => r.Meter == "main-incomer" && r.Reading.Field == "energy_import_kwh" && r.Reading.Value > 18_250_000);
    }

    [Fact]
    public async Task Mbpoll_reads_the_vendor_registers_and_counters_grow_with_the_speeded_up_clock()
    {
        var mbpoll = ServiceEnvironment.RequireExecutable(ServiceEnvironment.MbpollVariable, "mbpoll");
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        var clock = new VirtualClock(Scenarios.Local(scenario, "2024-03-04 10:00"), 3600);
        var plant = new LivePlant(scenario, clock);
        await using var devices = new ModbusDevices(plant, IPAddress.Loopback, 0);
        devices.Start();
        var gateway = devices.Endpoints.Single(e => e.Name == "elec-gw");
        var compressors = scenario.Meters.ToList().FindIndex(m => m.Id == "compressors");
        var values = new double[scenario.Meters.Max(m => m.Fields.Count)];

        async Task<double> ReadEnergy()
        {
            // SDM630 total import energy: input register 30073 = PDU 0x48, float32 big-endian, unit 2 behind the gateway.
            var result = await ProcessRunner.RunAsync(mbpoll, ["-m", "tcp", "-p", gateway.Port.ToString(CultureInfo.InvariantCulture), "-1", "-o", "2", "-a", "2", "-t", "3:float", "-B", "-0", "-r", "72", "127.0.0.1"], TestTimeouts.Operation);
            Assert.True(result.ExitCode == 0, result.ToString());
            return double.Parse(ModbusPeerFixture.ParseValues(result.StandardOutput)[72], CultureInfo.InvariantCulture);
        }

        // mbpoll prints a float with six significant digits (%g): 639677.9 comes out as 639678.
        const double Printed = 1.0;
        var before = Model();
        var first = await ReadEnergy();
        var after = Model();
        Assert.InRange(first, before - Printed, after + Printed);

        // One real second is an hour of plant: wait until the model's compressors (full load about 200 kW) used at
        // least 20 kWh, however long that takes on this machine, then the registers must show the model's growth.
        while (Model() < after + 20)
        {
            await Task.Delay(50);
        }

        var before2 = Model();
        var second = await ReadEnergy();
        var after2 = Model();
        Assert.InRange(second, before2 - Printed, after2 + Printed);
        Assert.True(second - first >= 20 - (2 * Printed), $"the counter grew {second - first} kWh");

        double Model()
        {
            plant.Read(compressors, values);
            return values[scenario.Meters[compressors].Fields.ToList().IndexOf("energy_import_kwh")];
        }
    }

    [Fact]
    public async Task Mqtt_meters_publish_json_readings_to_the_broker()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        using var client = await mosquitto.ConnectClientAsync("sim-test-" + Guid.NewGuid().ToString("N")[..8], CancellationToken.None);
        var received = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            received[e.ApplicationMessage.Topic] = e.ApplicationMessage.ConvertPayloadToString();
            return Task.CompletedTask;
        };
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("monitoring-sim/casa-aero/#").Build());

        var clock = new VirtualClock(Scenarios.Local(scenario, "2024-03-04 10:00"), 60);
        var plant = new LivePlant(scenario, clock);
        await using var meters = new MqttMeters(plant, MqttMeters.ParseBroker(mosquitto.Endpoint.ToString()), TimeSpan.FromMinutes(1));
        await meters.StartAsync(CancellationToken.None);

        using var budget = TestTimeouts.Start(TimeSpan.FromSeconds(20));
        while (received.Count < meters.MeterIds.Count() && !budget.IsCancellationRequested)
        {
            await Task.Delay(100);
        }

        Assert.Equal(meters.MeterIds.Select(m => "monitoring-sim/casa-aero/" + m).Order(StringComparer.Ordinal), received.Keys.Order(StringComparer.Ordinal));
        using var weather = JsonDocument.Parse(received["monitoring-sim/casa-aero/casa-weather"]);
        var ts = DateTimeOffset.Parse(weather.RootElement.GetProperty("ts").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(ts, clock.Start, clock.GetUtcNow());
        Assert.InRange(weather.RootElement.GetProperty("temperature_c").GetDouble(), 5, 30);
        using var gas = JsonDocument.Parse(received["monitoring-sim/casa-aero/gas-main"]);
        Assert.True(gas.RootElement.GetProperty("gas_volume_nm3").GetDouble() > 1_520_000);
    }

    [Fact]
    public async Task Mqtt_meters_can_be_one_sparkplug_b_node_with_births_and_data_by_alias()
    {
        var scenario = Scenarios.Load(Scenarios.CasaPath);
        using var client = await mosquitto.ConnectClientAsync("sim-test-" + Guid.NewGuid().ToString("N")[..8], CancellationToken.None);
        var received = new System.Collections.Concurrent.ConcurrentQueue<(string Topic, Monitoring.Edge.Inputs.Mqtt.Sparkplug.Payload Payload)>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            received.Enqueue((e.ApplicationMessage.Topic, Monitoring.Edge.Inputs.Mqtt.Sparkplug.Payload.Parser.ParseFrom(e.ApplicationMessage.Payload)));
            return Task.CompletedTask;
        };
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("spBv1.0/casa-aero/#").Build());

        var clock = new VirtualClock(Scenarios.Local(scenario, "2024-03-04 10:00"), 60);
        var plant = new LivePlant(scenario, clock);
        await using var meters = new MqttMeters(plant, MqttMeters.ParseBroker(mosquitto.Endpoint.ToString()), TimeSpan.FromMinutes(1), sparkplug: true);
        await meters.StartAsync(CancellationToken.None);

        var devices = meters.MeterIds.ToList();
        using var budget = TestTimeouts.Start(TimeSpan.FromSeconds(20));
        while (received.Count(m => m.Topic.Contains("/DDATA/", StringComparison.Ordinal)) < 2 * devices.Count && !budget.IsCancellationRequested)
        {
            await Task.Delay(100);
        }

        var messages = received.ToList();
        var node = MqttMeters.SparkplugNode;
        Assert.Equal($"spBv1.0/casa-aero/NBIRTH/{node}", messages[0].Topic);
        Assert.Equal("bdSeq", Assert.Single(messages[0].Payload.Metrics).Name);
        Assert.Equal(devices.Select(d => $"spBv1.0/casa-aero/DBIRTH/{node}/{d}"), messages.GetRange(1, devices.Count).Select(m => m.Topic));

        // Sequence numbers run on from the births through the data; data metrics carry only the aliases of the births.
        Assert.Equal(Enumerable.Range(0, messages.Count).Select(i => (ulong)(i % 256)), messages.Select(m => m.Payload.Seq));
        var weatherBirth = messages.Single(m => m.Topic.EndsWith("/DBIRTH/" + node + "/casa-weather", StringComparison.Ordinal)).Payload;
        var temperature = weatherBirth.Metrics.Single(m => m.Name == "temperature_c");
        var weatherData = messages.Last(m => m.Topic.EndsWith("/DDATA/" + node + "/casa-weather", StringComparison.Ordinal)).Payload;
        var reading = Assert.Single(weatherData.Metrics, m => m.Alias == temperature.Alias);
        Assert.False(reading.HasName);
        Assert.InRange(reading.DoubleValue, 5, 30);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds((long)weatherData.Timestamp), clock.Start, clock.GetUtcNow());
    }

    [Fact]
    public async Task The_plant_command_prints_where_each_device_listens_and_writes_an_edge_configuration()
    {
        var edgeConfig = Path.Join(Path.GetTempPath(), $"sim-edge-{Guid.NewGuid():N}.yaml");
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        try
        {
            var code = await SimCommand.PlantAsync(
                new SimCommand.PlantOptions(Scenarios.TangerPath, null, 3600, "2024-06-03 08:00", "127.0.0.1", 0, null, "1m", edgeConfig, 0.5, []),
                output,
                error,
                CancellationToken.None);

            Assert.True(code == 0, error.ToString());
            Assert.Contains("main-incomer", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("ready: virtual time 2024-06-03T", output.ToString(), StringComparison.Ordinal);
            var loaded = EdgeConfigurationLoader.LoadFile(edgeConfig);
            Assert.True(loaded.Configuration is not null, string.Join(Environment.NewLine, loaded.Errors));
            Assert.Equal(10, loaded.Configuration!.Devices.Count);
            Assert.Equal(["current_a", "energy_import_kwh", "power_kw"], loaded.Configuration.Devices.Single(d => d.Id == "fabrication").Points.Select(p => p.Field).Order(StringComparer.Ordinal));
        }
        finally
        {
            File.Delete(edgeConfig);
        }
    }
}
