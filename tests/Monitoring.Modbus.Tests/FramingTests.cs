namespace Monitoring.Modbus.Tests;

public sealed class FramingTests
{
    [Fact]
    public void Crc16_matches_the_specification_example()
    {
        // Modbus over serial line v1.02: "01 03 00 00 00 0A" is followed by C5 CD (0xCDC5, low byte first).
        Assert.Equal(0xCDC5, Crc16.Compute([0x01, 0x03, 0x00, 0x00, 0x00, 0x0A]));
    }

    [Fact]
    public void Read_response_with_a_wrong_byte_count_is_a_protocol_error()
    {
        var request = new byte[5];
        ModbusPdu.WriteReadRequest(request, ModbusFunction.ReadHoldingRegisters, 0, 2);
        byte[] response = [0x03, 0x02, 0x00, 0x01, 0x00, 0x02];

        var error = Assert.Throws<ModbusProtocolException>(() => ModbusPdu.CheckResponse(response, request));

        Assert.Equal("ReadHoldingRegisters byte count 2, expected 4", error.Message);
    }

    [Fact]
    public void Exception_response_carries_the_code()
    {
        byte[] request = [0x04, 0x00, 0x10, 0x00, 0x02];

        var error = Assert.Throws<ModbusDeviceException>(() => ModbusPdu.CheckResponse([0x84, 0x02], request));

        Assert.Equal((ModbusFunction.ReadInputRegisters, ModbusExceptionCode.IllegalDataAddress), (error.Function, error.Code));
        Assert.Equal("device answered ReadInputRegisters with exception 2 (IllegalDataAddress)", error.Message);
    }

    [Fact]
    public void Write_response_must_echo_the_request()
    {
        byte[] request = [0x06, 0x00, 0x05, 0x12, 0x34];

        Assert.Throws<ModbusProtocolException>(() => ModbusPdu.CheckResponse([0x06, 0x00, 0x06, 0x12, 0x34], request));
        ModbusPdu.CheckResponse([0x06, 0x00, 0x05, 0x12, 0x34], request);
    }
}
