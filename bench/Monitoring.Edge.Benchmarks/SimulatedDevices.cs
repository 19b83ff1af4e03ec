using System.Globalization;
using System.Net;
using Monitoring.Edge.Profiles;
using Monitoring.Modbus;

namespace Monitoring.Edge.Benchmarks;

/// <summary>Meters served by our Modbus server framing: register maps of the built-in profiles with plausible values.</summary>
public static class SimulatedDevices
{
    /// <summary>The registers of every point of <paramref name="profile"/> holding plausible values for meter number <paramref name="meter"/>.</summary>
    /// <param name="dense">
    /// Registers between the points read 0, as on a meter whose map has no holes (the SDM630 answers any read of
    /// 30001–30080); otherwise a read touching them gets exception 2 and the agent splits it (a sparse map's cost).
    /// </param>
    public static ModbusRegisterBank Bank(MeterProfile profile, byte unit, int meter, bool dense = false)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var bank = new ModbusRegisterBank();
        if (dense)
        {
            foreach (var table in profile.Points.GroupBy(p => p.Table))
            {
                var first = table.Min(p => p.Address);
                var end = table.Max(p => p.Address + p.RegisterCount);
                bank.Set(unit, table.Key, first, new ushort[end - first]);
            }
        }

        foreach (var point in profile.Points)
        {
            bank.Set(unit, point.Table, point.Address, Registers(point, PlausibleValue(point.Field, meter)));
        }

        return bank;
    }

    /// <summary>A value in the field's unit that every profile's encoding can hold.</summary>
    public static double PlausibleValue(string field, int meter) => field switch
    {
        "voltage_v" or "voltage_l1_v" or "voltage_l2_v" or "voltage_l3_v" => 230 + (meter % 10 * 0.1),
        "current_a" or "current_l1_a" or "current_l2_a" or "current_l3_a" => 10 + (meter % 50),
        "power_kw" => 5 + (meter % 100),
        "power_l1_kw" or "power_l2_kw" or "power_l3_kw" => (5 + (meter % 100)) / 3.0,
        "reactive_power_kvar" => 1.5,
        "pf" => 0.9,
        "frequency_hz" => 50,
        "energy_import_kwh" => 10_000 + (meter * 10),
        "energy_export_kwh" => 10 + meter,
        "volume_m3" => 1_000 + meter,
        "flow_m3h" => 2.5,
        _ => 1,
    };

    /// <summary>The registers a device shows for <paramref name="value"/> (in the field's unit) at <paramref name="point"/>.</summary>
    public static ushort[] Registers(ProfilePoint point, double value) => ProfilePointEncoder.Registers(point, value);

    /// <summary>
    /// <c>serve-devices --devices N [--profile ID] [--sparse]</c>: N servers on free loopback ports; prints
    /// <c>ready PORT,PORT,...</c> and serves until its standard input closes.
    /// </summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var devices = IntOption(args, "--devices", 200);
        var profile = BuiltInProfiles.All[StringOption(args, "--profile", "eastron-sdm630")];
        var dense = !args.Contains("--sparse");
        var servers = new List<ModbusTcpServer>();
        for (var i = 0; i < devices; i++)
        {
            var server = new ModbusTcpServer(new IPEndPoint(IPAddress.Loopback, 0), Bank(profile, 1, i, dense));
            server.Start();
            servers.Add(server);
        }

        Console.WriteLine("ready " + string.Join(',', servers.Select(s => s.LocalEndpoint.Port.ToString(CultureInfo.InvariantCulture))));
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        foreach (var server in servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        return 0;
    }

    public static int IntOption(string[] args, string name, int fallback)
    {
        ArgumentNullException.ThrowIfNull(args);
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static string StringOption(string[] args, string name, string fallback)
    {
        ArgumentNullException.ThrowIfNull(args);
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
