using Monitoring.Modbus;
using static Monitoring.Edge.Tests.EdgeYaml;

namespace Monitoring.Edge.Tests;

/// <summary>The <c>serial</c> device keys: a device on an RS-485 bus, and the mistakes an integrator makes wiring one up.</summary>
public sealed class SerialConfigurationTests
{
    [Fact]
    public void A_serial_device_is_Modbus_RTU_at_9600_8N1_unless_it_says_otherwise()
    {
        var configuration = Valid("""
            site: s
            agent: a
            defaults: { serial: /dev/ttyUSB0, baud: 19200 }
            devices:
              - { id: m1, unit: 1, profile: eastron-sdm630 }
              - { id: m2, unit: 2, profile: eastron-sdm630 }
              - { id: m3, serial: /dev/ttyUSB1, parity: even, stop_bits: 2, unit: 1, profile: xintai-water }
              - { id: m4, host: gw, unit: 1, profile: xintai-water }
            """);

        var (m1, m2, m3, m4) = (configuration.Devices[0], configuration.Devices[1], configuration.Devices[2], configuration.Devices[3]);
        Assert.Equal(new ModbusSerialLine { Port = "/dev/ttyUSB0", BaudRate = 19200 }, m1.Serial);
        Assert.Equal((ModbusTransport.Rtu, "/dev/ttyUSB0", 8), (m1.Transport, m1.Endpoint, m1.MaxGap));
        Assert.Equal(m1.Endpoint, m2.Endpoint);
        Assert.Equal("/dev/ttyUSB1 19200 8E2", m3.Serial!.ToString());
        Assert.Equal((ModbusTransport.Tcp, "gw:502", null), (m4.Transport, m4.Endpoint, m4.Serial));
    }

    [Fact]
    public void The_line_timing_follows_the_baud_rate()
    {
        var line = new ModbusSerialLine { Port = "/dev/ttyUSB0", BaudRate = 9600, Parity = ModbusParity.Even };

        Assert.Equal(11, line.BitsPerCharacter);
        Assert.Equal(4.0104, line.InterFrameSilence.TotalMilliseconds, 3);
        Assert.Equal(1.7188, line.InterCharacterLimit.TotalMilliseconds, 3);
        Assert.Equal(1.75, (line with { BaudRate = 115_200 }).InterFrameSilence.TotalMilliseconds, 3);
    }

    [Theory]
    [InlineData("{ id: m1, host: gw, serial: /dev/ttyUSB0, profile: xintai-water }",
        "edge.yaml:4:33: device 'm1': names both 'host' and 'serial'; a device is on a TCP endpoint or on a serial bus")]
    [InlineData("{ id: m1, serial: /dev/ttyUSB0, port: 502, profile: xintai-water }",
        "edge.yaml:4:43: device 'm1': 'port' is a TCP setting; a device on serial port '/dev/ttyUSB0' speaks Modbus RTU at its 'baud', 'parity' and 'stop_bits'")]
    [InlineData("{ id: m1, serial: /dev/ttyUSB0, data_bits: 7, profile: xintai-water }",
        "edge.yaml:4:48: device 'm1': Modbus RTU frames are 8-bit; data_bits 7 is Modbus ASCII, which is not supported")]
    [InlineData("{ id: m1, serial: /dev/ttyUSB0, unit: 0, profile: xintai-water }",
        "edge.yaml:4:43: device 'm1': unit 0 cannot be polled on a serial bus: 0 is the broadcast address, which no device answers, and 248 to 255 are reserved; use 1 to 247")]
    [InlineData("{ id: m1, host: gw, baud: 9600, profile: xintai-water }",
        "edge.yaml:4:31: device 'm1': 'baud' is a serial line setting, but the device names no 'serial' port")]
    [InlineData("{ id: m1, serial: /dev/ttyUSB0, parity: mark, profile: xintai-water }",
        "edge.yaml:4:45: device 'm1': unknown parity 'mark' (expected one of: none, even, odd)")]
    public void Serial_mistakes_are_reported_where_they_are(string device, string error)
    {
        Assert.Equal(error, SingleError($"site: s\nagent: a\ndevices:\n  - {device}\n"));
    }

    [Fact]
    public void Two_devices_with_one_unit_id_on_a_bus_are_refused()
    {
        Assert.Equal(
            "edge.yaml:5:43: device 'm2': unit 3 on /dev/ttyUSB0 is already device 'm1'; two meters with one address on a bus answer at once and garble both answers",
            SingleError("""
                site: s
                agent: a
                devices:
                  - { id: m1, serial: /dev/ttyUSB0, unit: 3, profile: xintai-water }
                  - { id: m2, serial: /dev/ttyUSB0, unit: 3, profile: tuf-2000m }
                """));
    }

    [Fact]
    public void Devices_on_one_bus_must_agree_on_its_format_but_not_on_their_timeouts()
    {
        Assert.Equal(
            "edge.yaml:5:5: device 'm2': shares /dev/ttyUSB0 with device 'm1' but sets another 'baud, parity or stop_bits'; devices behind one endpoint share its connection",
            SingleError("""
                site: s
                agent: a
                devices:
                  - { id: m1, serial: /dev/ttyUSB0, unit: 1, profile: xintai-water, timeout: 300ms }
                  - { id: m2, serial: /dev/ttyUSB0, unit: 2, baud: 19200, profile: tuf-2000m }
                """));
        Assert.Equal(2, Valid("""
            site: s
            agent: a
            devices:
              - { id: m1, serial: /dev/ttyUSB0, unit: 1, profile: xintai-water, timeout: 300ms }
              - { id: m2, serial: /dev/ttyUSB0, unit: 2, profile: tuf-2000m, timeout: 2s }
            """).Devices.Count);
    }
}
