namespace Monitoring.Modbus.Tests;

public sealed class RegisterEncoderTests
{
    [Theory]
    [InlineData(RegisterOrder.ABCD, 0x4366, 0x8000)]
    [InlineData(RegisterOrder.CDAB, 0x8000, 0x4366)]
    [InlineData(RegisterOrder.BADC, 0x6643, 0x0080)]
    [InlineData(RegisterOrder.DCBA, 0x0080, 0x6643)]
    public void Float32_lands_where_a_device_would_put_it(RegisterOrder order, int first, int second)
    {
        var registers = new ushort[2];

        RegisterEncoder.Encode(230.5, ModbusDataType.Float32, order, registers);

        Assert.Equal([first, second], registers.Select(r => (int)r));
    }

    [Fact]
    public void Negative_int16_and_int64_are_twos_complement()
    {
        var int16 = new ushort[1];
        var int64 = new ushort[4];

        RegisterEncoder.Encode(-1234, ModbusDataType.Int16, RegisterOrder.ABCD, int16);
        RegisterEncoder.Encode(-200, ModbusDataType.Int64, RegisterOrder.ABCD, int64);

        Assert.Equal(0xFB2E, int16[0]);
        Assert.Equal([0xFFFF, 0xFFFF, 0xFFFF, 0xFF38], int64.Select(r => (int)r));
    }

    [Theory]
    [InlineData(ModbusDataType.Int16, -32768)]
    [InlineData(ModbusDataType.UInt16, 65534)]
    [InlineData(ModbusDataType.Int32, -123456789)]
    [InlineData(ModbusDataType.UInt32, 4000000000)]
    [InlineData(ModbusDataType.Int64, -1234567890123)]
    [InlineData(ModbusDataType.UInt64, 1234567890123)]
    [InlineData(ModbusDataType.Float32, 0.92)]
    [InlineData(ModbusDataType.Float64, 1234567.125)]
    public void Decoding_what_was_encoded_gives_the_value_back_in_every_order(ModbusDataType type, double value)
    {
        foreach (var order in Enum.GetValues<RegisterOrder>())
        {
            var registers = new ushort[type.RegisterCount()];
            RegisterEncoder.Encode(value, type, order, registers);

            Assert.True(RegisterDecoder.TryDecode(registers, type, order, rejectSentinels: false, out var decoded));
            Assert.Equal(value, decoded);
        }
    }

    [Fact]
    public void Values_that_do_not_fit_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RegisterEncoder.Encode(70000, ModbusDataType.UInt16, RegisterOrder.ABCD, new ushort[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => RegisterEncoder.Encode(-1, ModbusDataType.UInt32, RegisterOrder.ABCD, new ushort[2]));
    }
}
