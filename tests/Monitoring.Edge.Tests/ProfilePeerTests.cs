using System.Text;
using System.Text.RegularExpressions;
using Monitoring.Edge.Cli;
using Monitoring.Edge.Configuration;
using Monitoring.Edge.Polling;
using Monitoring.Testing;

namespace Monitoring.Edge.Tests;

[CollectionDefinition(Name)]
public sealed class ModbusPeerDefinition : ICollectionFixture<ModbusPeerFixture>
{
    public const string Name = "pymodbus peer";
}

/// <summary>
/// Each built-in profile against pymodbus serving that meter's register map in the vendor's encoding
/// (units 11..17 of tests/peers/modbus_server.py, encoded with Python's struct, not with our decoder).
/// </summary>
[Collection(ModbusPeerDefinition.Name)]
public sealed partial class ProfilePeerTests(ModbusPeerFixture peer)
{
    [Theory]
    [InlineData("eastron-sdm630", 11, "voltage_v=231.2|current_a=15.5|power_kw=3.12|pf=0.95|frequency_hz=49.98|energy_import_kwh=45678.25,energy_export_kwh=12.5")]
    [InlineData("janitza-umg96rm", 12, "voltage_v=229.8|current_a=42|power_kw=8.45|reactive_power_kvar=2.1|frequency_hz=50.01|energy_import_kwh=123456.768|energy_export_kwh=4.096")]
    [InlineData("socomec-countis-e4x", 13, "voltage_v=230.45|frequency_hz=50.02|power_kw=-123.45|pf=-0.87|energy_import_kwh=654321")]
    [InlineData("carlo-gavazzi-em24", 14, "voltage_v=231.5|power_kw=12.3456|pf=0.912|frequency_hz=50|energy_import_kwh=987654.3|energy_export_kwh=1.5")]
    [InlineData("schneider-pm5xxx", 15, "current_a=85.5|voltage_v=232.1|power_kw=55.25|pf=0.75|frequency_hz=49.95|energy_import_kwh=1234567890.123,energy_export_kwh=5")]
    [InlineData("tuf-2000m", 16, "flow_m3h=12.75|volume_m3=98765.25")]
    [InlineData("xintai-water", 17, "flow_m3h=3.25|volume_m3=4321.5")]
    public async Task Profile_decodes_the_vendor_encoding_into_line_protocol(string profile, int unit, string expectedFields)
    {
        var configuration = Configuration($"""
            site: casa-aero
            agent: gw-01
            devices:
              - {"{"} id: m-{unit}, host: {peer.Host}, port: {peer.Port}, unit: {unit}, profile: {profile} {"}"}
            """);
        await using var poller = new EdgePoller(configuration);

        var polls = await poller.PollOnceAsync(CancellationToken.None);
        var lines = new StringBuilder();
        foreach (var poll in polls)
        {
            Assert.Empty(poll.Errors);
            Assert.Empty(poll.Invalid);
            LineProtocolWriter.WriteMeterLines(lines, configuration.Site, poll.Device.Id, poll.Readings);
        }

        // One line per request (reads bridging holes in the sparse maps were split); the field sets, in order.
        var fieldSets = lines.ToString().TrimEnd('\n').Split('\n').Select(line =>
        {
            var match = LinePattern().Match(line);
            Assert.True(match.Success, line);
            Assert.Equal($"m-{unit}", match.Groups["meter"].Value);
            return match.Groups["fields"].Value;
        });
        Assert.Equal(expectedFields, string.Join('|', fieldSets));
    }

    /// <summary>Optional points (reactive energy) are read only when a device names them; the theory above shows they are not otherwise.</summary>
    [Theory]
    [InlineData("eastron-sdm630", 11, "reactive_energy_kvarh=3456.75")]
    [InlineData("janitza-umg96rm", 12, "reactive_energy_kvarh=2345.678")]
    [InlineData("schneider-pm5xxx", 15, "reactive_energy_kvarh=98765432.109")]
    public async Task Optional_reactive_energy_is_read_when_the_device_names_it(string profile, int unit, string expectedFields)
    {
        var configuration = Configuration($"""
            site: casa-aero
            agent: gw-01
            devices:
              - {"{"} id: m-{unit}, host: {peer.Host}, port: {peer.Port}, unit: {unit}, profile: {profile}, fields: [energy_import_kwh, reactive_energy_kvarh] {"}"}
            """);
        await using var poller = new EdgePoller(configuration);

        var polls = await poller.PollOnceAsync(CancellationToken.None);

        Assert.All(polls, p => Assert.Empty(p.Errors));
        Assert.All(polls, p => Assert.Empty(p.Invalid));
        var readings = polls.SelectMany(p => p.Readings).ToList();
        Assert.Equal(["energy_import_kwh", "reactive_energy_kvarh"], readings.Select(r => r.Field).Order(StringComparer.Ordinal));
        var lines = new StringBuilder();
        LineProtocolWriter.WriteMeterLines(lines, configuration.Site, $"m-{unit}", readings.Where(r => r.Field == "reactive_energy_kvarh"));

        Assert.Equal(expectedFields, LinePattern().Match(lines.ToString()).Groups["fields"].Value);
    }

    [Fact]
    public async Task Optional_per_phase_values_are_read_when_the_device_names_them()
    {
        var configuration = Configuration($"""
            site: casa-aero
            agent: gw-01
            devices:
              - {"{"} id: m-11, host: {peer.Host}, port: {peer.Port}, unit: 11, profile: eastron-sdm630, fields: [power_kw, voltage_l1_v, voltage_l2_v, voltage_l3_v, current_l1_a, current_l2_a, current_l3_a, power_l1_kw, power_l2_kw, power_l3_kw] {"}"}
            """);
        await using var poller = new EdgePoller(configuration);

        var polls = await poller.PollOnceAsync(CancellationToken.None);

        Assert.All(polls, p => Assert.Empty(p.Errors));
        var readings = polls.SelectMany(p => p.Readings).ToDictionary(r => r.Field, r => r.Value);
        Assert.Equal(
            new Dictionary<string, double>
            {
                ["power_kw"] = 3.12, ["voltage_l1_v"] = 231.2, ["voltage_l2_v"] = 230.6, ["voltage_l3_v"] = 229.9,
                ["current_l1_a"] = 15.5, ["current_l2_a"] = 14.25, ["current_l3_a"] = 16, ["power_l1_kw"] = 1.04,
                ["power_l2_kw"] = 1.03, ["power_l3_kw"] = 1.05,
            },
            readings);
    }

    [Fact]
    public async Task Reads_that_bridge_holes_are_split_once_and_remembered()
    {
        var configuration = Configuration($"""
            site: s
            agent: a
            devices:
              - {"{"} id: em24, host: {peer.Host}, port: {peer.Port}, unit: 14, profile: carlo-gavazzi-em24, max_gap: 60 {"}"}
            """);
        await using var poller = new EdgePoller(configuration);
        var device = poller.Devices[0];
        var plannedBefore = device.PlanOf("fast").Count;

        var first = await poller.PollOnceAsync(CancellationToken.None);
        var splits = device.Splits;
        var requestsAfterFirst = poller.Statistics.Values.Single().Requests;
        var second = await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal(1, plannedBefore);
        Assert.True(splits > 0);
        Assert.Equal(splits, device.Splits);
        Assert.Equal(4, device.PlanOf("fast").Count);
        Assert.All(first.Concat(second), p => Assert.Empty(p.Errors));
        Assert.Equal(6, second.Sum(p => p.Readings.Count));
        Assert.Equal(device.PlanOf("fast").Count + device.PlanOf("slow").Count, poller.Statistics.Values.Single().Requests - requestsAfterFirst);
    }

    [Fact]
    public async Task Three_unit_ids_behind_one_endpoint_share_one_connection()
    {
        var configuration = Configuration($"""
            site: s
            agent: a
            devices:
              - {"{"} id: a, host: {peer.Host}, port: {peer.Port}, unit: 11, profile: eastron-sdm630 {"}"}
              - {"{"} id: b, host: {peer.Host}, port: {peer.Port}, unit: 16, profile: tuf-2000m {"}"}
              - {"{"} id: c, host: {peer.Host}, port: {peer.Port}, unit: 17, profile: xintai-water {"}"}
            """);
        await using var poller = new EdgePoller(configuration);

        var polls = await poller.PollOnceAsync(CancellationToken.None);

        Assert.All(polls, p => Assert.Empty(p.Errors));
        Assert.Equal(["a", "a", "b", "b", "c", "c"], polls.Select(p => p.Device.Id));
        Assert.Equal(1, Assert.Single(poller.Statistics).Value.Connects);
    }

    [Fact]
    public async Task Connect_per_cycle_opens_and_closes_the_connection_every_cycle()
    {
        var configuration = Configuration($"""
            site: s
            agent: a
            devices:
              - {"{"} id: m, host: {peer.Host}, port: {peer.Port}, unit: 17, profile: xintai-water, connect_per_cycle: true {"}"}
            """);
        await using var poller = new EdgePoller(configuration);

        await poller.PollOnceAsync(CancellationToken.None);
        await poller.PollOnceAsync(CancellationToken.None);
        var polls = await poller.PollOnceAsync(CancellationToken.None);

        Assert.All(polls, p => Assert.Empty(p.Errors));
        Assert.Equal(3, poller.Statistics.Values.Single().Connects);
    }

    [Fact]
    public async Task A_silent_device_times_out_without_holding_up_devices_on_other_endpoints()
    {
        var configuration = Configuration($"""
            site: s
            agent: a
            devices:
              - {"{"} id: silent, host: {peer.Host}, port: {peer.Port}, unit: 9, profile: xintai-water, timeout: 2s {"}"}
              - {"{"} id: rtu, host: {peer.RtuEndpoint.Host}, port: {peer.RtuEndpoint.Port}, unit: 17, profile: xintai-water, transport: rtu-over-tcp {"}"}
            """);
        await using var poller = new EdgePoller(configuration);
        var silent = poller.Devices[0];
        var other = poller.Devices[1];

        var cycle = poller.PollOnceAsync(CancellationToken.None);
        var otherPolls = new List<DevicePoll>();
        while (!cycle.IsCompleted && otherPolls.Count < 200)
        {
            otherPolls.Add(await other.PollAsync("fast", CancellationToken.None));
        }

        var polls = await cycle;

        // While the silent device's request waited for its 2 s timeout, the other endpoint kept answering.
        Assert.NotEmpty(otherPolls);
        Assert.All(otherPolls, p => Assert.Equal(3.25, Assert.Single(p.Readings).Value));
        Assert.IsType<Monitoring.Modbus.ModbusTimeoutException>(polls.First(p => p.Device.Id == "silent").Errors[0].Error);
        Assert.All(polls.Where(p => p.Device.Id == "rtu"), p => Assert.Empty(p.Errors));
        Assert.Equal(1, poller.Statistics[silent.Device.Endpoint].Timeouts);
    }

    [Fact]
    public async Task Poll_once_prints_line_protocol_and_reports_the_failed_device_but_keeps_the_others()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edge-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"""
            site: casa-aero
            agent: gw-01
            devices:
              - {"{"} id: water, host: {peer.Host}, port: {peer.Port}, unit: 17, profile: xintai-water {"}"}
              - {"{"} id: offline, host: 127.0.0.1, port: {ClosedPort()}, profile: eastron-sdm630, fields: [power_kw] {"}"}
            """);
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var exit = await EdgeCommand.PollAsync(path, once: true, output, error, CancellationToken.None);

            Assert.Equal(EdgeCommand.DeviceFailure, exit);
            Assert.Matches(@"^meter,site=casa-aero,meter=water flow_m3h=3\.25 \d{19}\nmeter,site=casa-aero,meter=water volume_m3=4321\.5 \d{19}\n$", output.ToString());
            Assert.Matches(@"^device 'offline' \(127\.0\.0\.1:\d+ unit 1\): FC04 52\.\.53 \(2 registers: power_kw\): connection: cannot connect to 127\.0\.0\.1:\d+ \(ConnectionRefused\); retrying in 500 ms\n$", error.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Check_prints_values_raw_registers_and_requests_and_exits_0_when_all_answer()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edge-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"""
            site: casa-aero
            agent: gw-01
            devices:
              - {"{"} id: flow, host: {peer.Host}, port: {peer.Port}, unit: 16, profile: tuf-2000m {"}"}
            """);
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var exit = await EdgeCommand.CheckAsync(path, output, error, CancellationToken.None);

            Assert.Equal(EdgeCommand.Ok, exit);
            Assert.Equal(string.Empty, error.ToString());
            var text = output.ToString();
            Assert.Contains("Device flow: TUF-2000M ultrasonic flowmeter (profile tuf-2000m v1)", text, StringComparison.Ordinal);
            Assert.Matches(@"flow_m3h\s+12\.75\s+m3/h\s+0000 414C\s+fast", text);
            Assert.Matches(@"volume_m3\s+98765\.25\s+m3\s+81CD 0001 0000 3E80\s+slow", text);
            Assert.Contains("slow: FC03 8..11 (4 registers: volume_m3)", text, StringComparison.Ordinal);
            Assert.EndsWith("Every device answered." + Environment.NewLine, text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static EdgeConfiguration Configuration(string yaml)
    {
        // pymodbus is one Python thread; under a full parallel test run it can take longer than the 1 s default.
        var result = EdgeConfigurationLoader.Load("edge.yaml", yaml + "\ndefaults: { timeout: 3s }\n");
        Assert.True(result.Configuration is not null, string.Join(Environment.NewLine, result.Errors));
        return result.Configuration!;
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^meter,site=[^ ,]+,meter=(?<meter>[^ ]+) (?<fields>[^ ]+) (?<ts>\d{19})$", RegexOptions.CultureInvariant)]
    private static partial Regex LinePattern();
}
