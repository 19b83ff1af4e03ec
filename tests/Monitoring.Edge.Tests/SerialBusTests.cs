using Monitoring.Edge.Cli;
using Monitoring.Edge.Polling;
using Monitoring.Modbus;
using Monitoring.Testing;

namespace Monitoring.Edge.Tests;

/// <summary>
/// Modbus RTU on a serial port, without hardware: pymodbus (tests/peers/modbus_server.py --serial) answers on one end
/// of a pseudo-terminal pair, the agent polls the other, the same register map as over TCP.
/// </summary>
[Collection(ModbusPeerDefinition.Name)]
public sealed class SerialBusTests(ModbusPeerFixture peer)
{
    private static readonly (int Unit, string Profile)[] ProfileUnits =
    [
        (11, "eastron-sdm630"), (12, "janitza-umg96rm"), (13, "socomec-countis-e4x"), (14, "carlo-gavazzi-em24"),
        (15, "schneider-pm5xxx"), (16, "tuf-2000m"), (17, "xintai-water"),
    ];

    [Fact]
    public async Task Every_built_in_profile_on_one_bus_reads_what_the_same_meters_give_over_tcp()
    {
        await using var bus = await SerialBus.StartAsync();
        var devices = string.Join('\n', ProfileUnits.SelectMany(d => new[]
        {
            $"  - {{ id: rtu-{d.Unit}, serial: {bus.Port}, unit: {d.Unit}, profile: {d.Profile}, timeout: 3s }}",
            $"  - {{ id: tcp-{d.Unit}, host: {peer.Host}, port: {peer.Port}, unit: {d.Unit}, profile: {d.Profile}, timeout: 3s }}",
        }));
        await using var poller = new EdgePoller(EdgeYaml.Valid($"site: s\nagent: a\ndevices:\n{devices}\n"));

        var polls = await poller.PollOnceAsync(CancellationToken.None);

        Assert.All(polls, p => Assert.Empty(p.Errors));
        Assert.All(polls, p => Assert.Empty(p.Invalid));
        foreach (var (unit, _) in ProfileUnits)
        {
            var overSerial = Readings(polls, $"rtu-{unit}");
            Assert.NotEmpty(overSerial);
            // The plans differ (RTU bridges smaller gaps), so the order may too: the same readings, sorted.
            Assert.Equal(Readings(polls, $"tcp-{unit}").Order(), overSerial.Order());
        }

        Assert.Equal([("flow_m3h", 3.25), ("volume_m3", 4321.5)], Readings(polls, "rtu-17"));
        var line = poller.Statistics[bus.Port];
        Assert.Equal(1, line.Connects);
        Assert.Equal((0L, 0L, 0L), (line.Timeouts, line.ProtocolErrors, line.ConnectionErrors));
    }

    [Fact]
    public async Task A_silent_unit_times_out_on_its_own_timeout_and_the_bus_stays_open_for_the_others()
    {
        await using var bus = await SerialBus.StartAsync();
        var configuration = EdgeYaml.Valid($"""
            site: s
            agent: a
            defaults: {"{"} serial: {bus.Port}, baud: 19200, parity: none {"}"}
            devices:
              - {"{"} id: first, unit: 11, profile: eastron-sdm630, fields: [power_kw], timeout: 3s {"}"}
              - {"{"} id: silent, unit: 99, profile: xintai-water, timeout: 200ms {"}"}
              - {"{"} id: last, unit: 17, profile: xintai-water, timeout: 3s {"}"}
            """);
        await using var poller = new EdgePoller(configuration);

        var first = await poller.PollOnceAsync(CancellationToken.None);
        var second = await poller.PollOnceAsync(CancellationToken.None);

        foreach (var polls in new[] { first, second })
        {
            Assert.Equal([("power_kw", 3.12)], Readings(polls, "first"));
            Assert.Equal([("flow_m3h", 3.25), ("volume_m3", 4321.5)], Readings(polls, "last"));
            var silent = polls.Where(p => p.Device.Id == "silent").SelectMany(p => p.Errors).ToList();
            Assert.Equal(2, silent.Count);
            Assert.IsType<ModbusTimeoutException>(silent[0].Error);
        }

        var line = poller.Statistics[bus.Port];
        Assert.Equal(1, line.Connects);
        Assert.Equal(2, line.Timeouts);
        Assert.Equal(0, line.ConnectionErrors);
    }

    [Fact]
    public async Task A_corrupted_answer_is_a_counted_CRC_error_and_the_next_request_on_the_bus_succeeds()
    {
        await using var bus = await SerialBus.StartRelayedAsync("--corrupt", "2");
        var configuration = EdgeYaml.Valid($"""
            site: s
            agent: a
            devices:
              - {"{"} id: a, serial: {bus.Port}, unit: 16, profile: tuf-2000m, timeout: 3s {"}"}
              - {"{"} id: b, serial: {bus.Port}, unit: 17, profile: xintai-water, timeout: 3s {"}"}
            """);
        await using var poller = new EdgePoller(configuration);

        var first = await poller.PollOnceAsync(CancellationToken.None);
        var second = await poller.PollOnceAsync(CancellationToken.None);

        // Answer 2 is device a's slow group: it alone is lost; device b, on the same bus, is read right after.
        var lost = Assert.Single(first.SelectMany(p => p.Errors));
        var error = Assert.IsType<ModbusProtocolException>(lost.Error);
        Assert.True(error.CrcMismatch);
        Assert.Equal("RTU frame CRC mismatch", error.Message);
        Assert.Equal([("flow_m3h", 12.75)], Readings(first, "a"));
        Assert.Equal([("flow_m3h", 3.25), ("volume_m3", 4321.5)], Readings(first, "b"));
        Assert.All(second, p => Assert.Empty(p.Errors));
        Assert.Equal([("flow_m3h", 12.75), ("volume_m3", 98765.25)], Readings(second, "a"));
        var line = poller.Statistics[bus.Port];
        Assert.Equal((1L, 1L, 1L), (line.CrcErrors, line.ProtocolErrors, line.Connects));
        Assert.Contains("serial_relay: corrupted answer 2", bus.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exception_replies_on_the_bus_split_reads_once_as_over_tcp()
    {
        await using var bus = await SerialBus.StartAsync();
        var configuration = EdgeYaml.Valid($"""
            site: s
            agent: a
            devices:
              - {"{"} id: em24, serial: {bus.Port}, unit: 14, profile: carlo-gavazzi-em24, max_gap: 60, timeout: 3s {"}"}
            """);
        await using var poller = new EdgePoller(configuration);
        var device = poller.Devices[0];

        await poller.PollOnceAsync(CancellationToken.None);
        var second = await poller.PollOnceAsync(CancellationToken.None);

        Assert.True(device.Splits > 0);
        Assert.Equal(4, device.PlanOf("fast").Count);
        Assert.All(second, p => Assert.Empty(p.Errors));
        Assert.Equal(6, second.Sum(p => p.Readings.Count));
        Assert.True(poller.Statistics[bus.Port].DeviceExceptions > 0);
    }

    [Fact]
    public async Task Check_on_a_serial_device_names_the_line_and_its_format()
    {
        await using var bus = await SerialBus.StartAsync();
        var path = Path.Combine(Path.GetTempPath(), $"edge-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, $"""
            site: casa-aero
            agent: gw-01
            devices:
              - {"{"} id: flow, serial: {bus.Port}, baud: 9600, parity: even, unit: 16, profile: tuf-2000m, timeout: 3s {"}"}
            """);
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var exit = await EdgeCommand.CheckAsync(path, output, error, CancellationToken.None);

            Assert.Equal(string.Empty, error.ToString());
            Assert.Equal(EdgeCommand.Ok, exit);
            var text = output.ToString();
            Assert.Contains($"Device flow: TUF-2000M ultrasonic flowmeter (profile tuf-2000m v1) at {bus.Port} unit 16, Modbus RTU {bus.Port} 9600 8E1", text, StringComparison.Ordinal);
            Assert.Matches(@"volume_m3\s+98765\.25\s+m3\s+81CD 0001 0000 3E80\s+slow", text);
            Assert.Contains($"{bus.Port}: 2 requests, 0 errors, mean latency", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Mbpoll_in_RTU_mode_reads_the_serial_peer()
    {
        await using var bus = await SerialBus.StartAsync();

        var result = await peer.RunMbpollAsync("-m", "rtu", "-b", "9600", "-P", "none", "-1", "-o", "2", "-a", "1", "-t", "4", "-0", "-r", "0", "-c", "3", bus.Port);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(new Dictionary<int, string> { [0] = "100", [1] = "200", [2] = "300" }, ModbusPeerFixture.ParseValues(result.StandardOutput));
    }

    [Fact]
    public async Task A_missing_serial_port_is_a_connection_error_retried_with_backoff()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"ttyUSB-{Guid.NewGuid():N}");
        await using var poller = new EdgePoller(EdgeYaml.Valid($"""
            site: s
            agent: a
            devices:
              - {"{"} id: m, serial: {missing}, unit: 17, profile: xintai-water {"}"}
            """));

        var polls = await poller.PollOnceAsync(CancellationToken.None);

        var failure = polls.SelectMany(p => p.Errors).First();
        Assert.IsType<ModbusConnectionException>(failure.Error);
        Assert.StartsWith($"cannot connect to {missing} 9600 8N1 (", failure.Error.Message, StringComparison.Ordinal);
        Assert.EndsWith("); retrying in 500 ms", failure.Error.Message, StringComparison.Ordinal);
    }

    private static List<(string Field, double Value)> Readings(IReadOnlyList<DevicePoll> polls, string device) =>
        [.. polls.Where(p => p.Device.Id == device).SelectMany(p => p.Readings).Select(r => (r.Field, r.Value))];
}
