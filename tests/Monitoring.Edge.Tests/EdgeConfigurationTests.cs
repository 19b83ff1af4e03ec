using Monitoring.Edge.Configuration;
using Monitoring.Modbus;

using static Monitoring.Edge.Tests.EdgeYaml;

namespace Monitoring.Edge.Tests;

public sealed class EdgeConfigurationTests
{
    [Fact]
    public void The_minimal_contract_form_is_valid_with_defaults()
    {
        var configuration = Valid("""
            site: casa-aero-01
            agent: gw-01
            devices:
              - id: m-main            # becomes the `meter` tag
                host: 127.0.0.1
                port: 502
                unit: 1
                profile: eastron-sdm630
            """);

        var device = Assert.Single(configuration.Devices);
        Assert.Equal(("casa-aero-01", "gw-01"), (configuration.Site, configuration.Agent));
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60)), (configuration.PollGroups["fast"], configuration.PollGroups["slow"]));
        Assert.Equal(("m-main", "127.0.0.1:502", (byte)1, ModbusTransport.Tcp), (device.Id, device.Endpoint, device.Unit, device.Transport));
        Assert.Equal((TimeSpan.FromSeconds(1), 64, 125), (device.Timeout, device.MaxGap, device.MaxRegistersPerRead));
        Assert.Equal(7, device.Points.Count);
    }

    [Fact]
    public void Fields_narrow_the_profile_and_overrides_change_or_add_points()
    {
        var configuration = Valid("""
            site: s
            agent: a
            poll_groups: { fast: 1s, energy: 15m }
            defaults: { host: 10.0.0.5, timeout: 250ms, pause: 20ms }
            devices:
              - id: m1
                unit: 3
                profile: eastron-sdm630
                fields: [power_kw, energy_import_kwh]
                overrides:
                  - { field: energy_import_kwh, group: energy }
                  - { field: power_kw, address: 0x0034, unit: kW, scale: 0.001 }
                  - { field: reactive_power_kvar, address: 0x003C, table: input, unit: var }
            """);

        var device = configuration.Devices[0];
        Assert.Equal(("10.0.0.5", TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(20)), (device.Host, device.Timeout, device.Pause));
        Assert.Equal(["power_kw", "energy_import_kwh", "reactive_power_kvar"], device.Points.Select(p => p.Field));
        Assert.Equal("energy", device.Points[1].Group);
        Assert.Equal((0.001, 1.0, "kW"), (device.Points[0].Scale, device.Points[0].UnitFactor, device.Points[0].DeviceUnit));
        Assert.Equal((ModbusFunction.ReadInputRegisters, (ushort)0x3C, 0.001), (device.Points[2].Table, device.Points[2].Address, device.Points[2].UnitFactor));
    }

    [Fact]
    public void User_profiles_with_modicon_numbers_are_accepted()
    {
        var configuration = Valid("""
            site: s
            agent: a
            profiles:
              - id: acme-pulse
                addressing: modicon
                type: uint32
                points:
                  - { field: energy_import_kwh, address: 40101, unit: Wh }
                  - { field: power_kw, address: 30011, type: int16, unit: W }
            devices:
              - { id: m1, host: h, profile: acme-pulse }
            """);

        var points = configuration.Devices[0].Points;
        Assert.Equal((ModbusFunction.ReadHoldingRegisters, (ushort)100), (points[0].Table, points[0].Address));
        Assert.Equal((ModbusFunction.ReadInputRegisters, (ushort)10), (points[1].Table, points[1].Address));
    }

    [Fact]
    public void Unknown_profile_lists_the_built_in_ones()
    {
        Assert.Equal(
            "edge.yaml:6:14: device 'm1': unknown profile 'eastron-sdm360' (built-in: carlo-gavazzi-em24, eastron-sdm630, janitza-umg96rm, schneider-pm5xxx, socomec-countis-e4x, tuf-2000m, xintai-water)",
            SingleError("""
                site: s
                agent: a
                devices:
                  - id: m1
                    host: h
                    profile: eastron-sdm360
                """));
    }

    [Fact]
    public void Duplicate_device_id_names_the_first()
    {
        Assert.Equal(
            "edge.yaml:5:11: duplicate device id 'm1' (first defined at edge.yaml:4:5)",
            SingleError("""
                site: s
                agent: a
                devices:
                  - { id: m1, host: h, profile: eastron-sdm630 }
                  - { id: m1, host: h, unit: 2, profile: eastron-sdm630 }
                """));
    }

    [Fact]
    public void Bad_duration_says_what_a_duration_looks_like()
    {
        Assert.Equal(
            "edge.yaml:4:58: device 'm1': 'timeout' must be a duration such as 500ms, 1s or 2m, got '1000'",
            SingleError("""
                site: s
                agent: a
                devices:
                  - { id: m1, host: h, profile: eastron-sdm630, timeout: 1000 }
                """));
    }

    [Fact]
    public void Field_missing_from_the_profile_lists_what_it_has()
    {
        Assert.Equal(
            "edge.yaml:7:25: device 'm1': profile 'xintai-water' has no field 'power_kw' (it has: volume_m3, flow_m3h)",
            SingleError("""
                site: s
                agent: a
                devices:
                  - id: m1
                    host: h
                    profile: xintai-water
                    fields: [volume_m3, power_kw]
                """));
    }

    [Fact]
    public void Override_unit_that_does_not_convert_is_rejected()
    {
        Assert.Equal(
            "edge.yaml:7:42: device 'm1' override 'power_kw': unit 'Wh' does not convert to kW",
            SingleError("""
                site: s
                agent: a
                devices:
                  - id: m1
                    host: h
                    profile: eastron-sdm630
                    overrides: [{ field: power_kw, unit: Wh }]
                """));
    }

    [Fact]
    public void Devices_sharing_an_endpoint_must_agree_on_the_connection()
    {
        Assert.Equal(
            "edge.yaml:5:5: device 'm2': shares gw:502 with device 'm1' but sets another 'pause'; devices behind one endpoint share its connection",
            SingleError("""
                site: s
                agent: a
                devices:
                  - { id: m1, host: gw, unit: 1, profile: eastron-sdm630 }
                  - { id: m2, host: gw, unit: 2, profile: eastron-sdm630, pause: 50ms }
                """));
    }

    [Fact]
    public void Point_in_an_undefined_poll_group_is_rejected()
    {
        Assert.Equal(
            "edge.yaml:4:33: device 'm1': field 'power_kw' is polled in group 'turbo', which 'poll_groups' does not define",
            SingleError("""
                site: s
                agent: a
                devices:
                  - { id: m1, host: h, profile: eastron-sdm630, fields: [power_kw], overrides: [{ field: power_kw, group: turbo }] }
                """));
    }

    [Fact]
    public void Missing_site_and_host_and_a_typo_are_all_reported()
    {
        var result = EdgeConfigurationLoader.Load(EdgeYaml.File, """
            agent: a
            devices:
              - id: m1
                profile: eastron-sdm630
                unti: 2
            """);

        Assert.Equal(
            [
                "edge.yaml:1:1: edge configuration: missing required key 'site'",
                "edge.yaml:3:5: device 'm1': missing required key 'host' (a TCP endpoint) or 'serial' (an RS-485 port such as /dev/ttyUSB0)",
                "edge.yaml:5:5: device 'm1': unknown key 'unti' (did you mean 'unit'?)",
            ],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Missing_file_is_an_error_not_an_exception()
    {
        var result = EdgeConfigurationLoader.LoadFile("/nonexistent/edge.yaml");

        Assert.Equal("/nonexistent/edge.yaml: configuration file does not exist", Assert.Single(result.Errors).ToString());
    }
}
