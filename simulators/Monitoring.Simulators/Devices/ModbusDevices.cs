using System.Globalization;
using System.Net;
using System.Text;
using Monitoring.Edge.Profiles;
using Monitoring.Modbus;
using Monitoring.Simulators.Model;
using Monitoring.Simulators.Scenarios;

namespace Monitoring.Simulators.Devices;

/// <summary>One simulated Modbus TCP endpoint: a meter on its own port, or a gateway with several unit ids.</summary>
public sealed record ModbusEndpoint(string Name, int Port, IReadOnlyList<int> Meters);

/// <summary>
/// The scenario's Modbus meters served live by <see cref="ModbusTcpServer"/>s: one port per meter, or one per
/// gateway with the meters as unit ids. Registers hold the built-in profiles' maps in the vendor's encodings,
/// filled from the model at the instant of each request. Faults: drop closes the port, slow delays the answer,
/// exception answers a Modbus exception, sentinel fills the registers with all-ones.
/// </summary>
public sealed class ModbusDevices : IAsyncDisposable
{
    private readonly LivePlant _plant;
    private readonly IPAddress _address;
    private readonly List<Served> _served = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _supervisor;

    public ModbusDevices(LivePlant plant, IPAddress address, int basePort)
    {
        ArgumentNullException.ThrowIfNull(plant);
        _plant = plant;
        _address = address;
        var meters = plant.Scenario.Meters;
        var groups = meters
            .Select((m, i) => (Meter: m, Index: i))
            .Where(x => x.Meter.Device == DeviceKind.Modbus)
            .GroupBy(x => x.Meter.Gateway ?? "meter:" + x.Meter.Id, StringComparer.Ordinal)
            .ToList();
        for (var g = 0; g < groups.Count; g++)
        {
            var indexes = groups[g].Select(x => x.Index).ToList();
            var store = new PlantRegisterStore(plant, indexes);
            _served.Add(new Served(groups[g].Key, basePort == 0 ? 0 : basePort + g, indexes, store));
        }
    }

    /// <summary>The endpoints with their bound ports (after <see cref="Start"/>).</summary>
    public IReadOnlyList<ModbusEndpoint> Endpoints => [.. _served.Select(s => new ModbusEndpoint(s.Name, s.Port, s.Meters))];

    public void Start()
    {
        foreach (var served in _served)
        {
            served.Server = new ModbusTcpServer(new IPEndPoint(_address, served.Port), served.Store);
            served.Server.Start();
            served.Port = served.Server.LocalEndpoint.Port;
        }

        _supervisor = SuperviseAsync(_stopping.Token);
    }

    /// <summary>An edge agent configuration (docs/edge.md) for these devices: <c>monitoring-edge check --config</c> runs as is.</summary>
    public string EdgeConfiguration(string host, IEnumerable<string>? mqttMeters = null)
    {
        var scenario = _plant.Scenario;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Written by monitoring-sim plant for {Path.GetFileName(scenario.File)}: the simulated devices of site {scenario.Site.Id}.\n");
        text.Append(CultureInfo.InvariantCulture, $"site: {scenario.Site.Id}\n");
        text.Append(CultureInfo.InvariantCulture, $"agent: sim-{scenario.Site.Id}\n");
        text.Append("devices:\n");
        foreach (var served in _served)
        {
            foreach (var index in served.Meters)
            {
                var meter = scenario.Meters[index];
                text.Append(CultureInfo.InvariantCulture,
                    $"  - {{ id: {meter.Id}, host: {host}, port: {served.Port}, unit: {meter.Unit}, profile: {meter.Profile!.Id}, fields: [{string.Join(", ", meter.ReportedFields)}] }}\n");
            }
        }

        var mqtt = mqttMeters?.ToList() ?? [];
        if (mqtt.Count > 0)
        {
            text.Append("# MQTT meters (JSON on monitoring-sim/").Append(scenario.Site.Id).Append("/<meter>): ").Append(string.Join(", ", mqtt)).Append('\n');
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_supervisor is not null)
        {
            await _supervisor.ConfigureAwait(false);
        }

        foreach (var served in _served)
        {
            if (served.Server is { } server)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }

        _stopping.Dispose();
    }

    /// <summary>Closes the port of a device while a drop fault is active, and opens it again after.</summary>
    private async Task SuperviseAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            foreach (var served in _served)
            {
                var down = served.Meters.Any(m => _plant.Answer(m).Status == ReadStatus.Dropped);
                if (down && served.Server is { } server)
                {
                    served.Server = null;
                    await server.DisposeAsync().ConfigureAwait(false);
                }
                else if (!down && served.Server is null)
                {
                    var restarted = new ModbusTcpServer(new IPEndPoint(_address, served.Port), served.Store);
                    restarted.Start();
                    served.Server = restarted;
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private sealed class Served(string name, int port, IReadOnlyList<int> meters, PlantRegisterStore store)
    {
        public string Name { get; } = name;

        public int Port { get; set; } = port;

        public IReadOnlyList<int> Meters { get; } = meters;

        public PlantRegisterStore Store { get; } = store;

        public ModbusTcpServer? Server { get; set; }
    }
}

/// <summary>The registers of the meters behind one endpoint, refreshed from the model at each request.</summary>
internal sealed class PlantRegisterStore : IModbusRegisterStore
{
    private readonly LivePlant _plant;
    private readonly Dictionary<byte, int> _units = [];
    private readonly ModbusRegisterBank _bank = new();
    private readonly Lock _lock = new();

    public PlantRegisterStore(LivePlant plant, IEnumerable<int> meters)
    {
        _plant = plant;
        foreach (var index in meters)
        {
            var meter = plant.Scenario.Meters[index];
            _units[meter.Unit] = index;
            foreach (var point in meter.Profile!.Points)
            {
                _bank.Set(meter.Unit, point.Table, point.Address, new ushort[point.RegisterCount]);
            }
        }
    }

    public ModbusExceptionCode ReadRegisters(byte unit, ModbusFunction table, ushort address, Span<ushort> destination)
    {
        if (!_units.TryGetValue(unit, out var index))
        {
            return ModbusExceptionCode.GatewayTargetFailedToRespond;
        }

        var meter = _plant.Scenario.Meters[index];
        Span<double> values = stackalloc double[meter.Fields.Count];
        var (answer, _) = _plant.Read(index, values);
        if (answer.DelayMs > 0)
        {
            Thread.Sleep(answer.DelayMs); // a slow device: only this connection waits
        }

        switch (answer.Status)
        {
            case ReadStatus.Exception:
                return (ModbusExceptionCode)answer.ExceptionCode;
            case ReadStatus.Dropped:
                return ModbusExceptionCode.GatewayTargetFailedToRespond;
            default:
                break;
        }

        lock (_lock)
        {
            Span<ushort> registers = stackalloc ushort[8];
            var points = meter.Profile!.Points;
            for (var i = 0; i < points.Count; i++)
            {
                var point = points[i];
                var slice = registers[..point.RegisterCount];
                if (answer.Status == ReadStatus.Sentinel)
                {
                    slice.Fill(0xFFFF);
                }
                else
                {
                    try
                    {
                        ProfilePointEncoder.Encode(point, values[i], slice);
                    }
                    catch (ArgumentOutOfRangeException)
                    {
                        slice.Fill(0xFFFF); // the register cannot hold the value: the device shows "no value"
                    }
                }

                _bank.Set(unit, point.Table, point.Address, slice);
            }

            return _bank.ReadRegisters(unit, table, address, destination);
        }
    }

    /// <summary>Meters are read-only: writes are refused as a real meter refuses them.</summary>
    public ModbusExceptionCode WriteRegisters(byte unit, ushort address, ReadOnlySpan<ushort> values) => ModbusExceptionCode.IllegalFunction;
}
