namespace Monitoring.Modbus.Tests;

public sealed class RegisterDecoderTests
{
    // 0x4366_8000 is 230.5f; each order is how a device would put it on the wire.
    [Theory]
    [InlineData(RegisterOrder.ABCD, 0x4366, 0x8000)]
    [InlineData(RegisterOrder.CDAB, 0x8000, 0x4366)]
    [InlineData(RegisterOrder.BADC, 0x6643, 0x0080)]
    [InlineData(RegisterOrder.DCBA, 0x0080, 0x6643)]
    public void Float32_in_every_order(RegisterOrder order, int first, int second)
    {
        Assert.True(RegisterDecoder.TryDecode([(ushort)first, (ushort)second], ModbusDataType.Float32, order, true, out var value));
        Assert.Equal(230.5, value);
    }

    // 1234567890 = 0x4996_02D2.
    [Theory]
    [InlineData(RegisterOrder.ABCD, 0x4996, 0x02D2)]
    [InlineData(RegisterOrder.CDAB, 0x02D2, 0x4996)]
    [InlineData(RegisterOrder.BADC, 0x9649, 0xD202)]
    [InlineData(RegisterOrder.DCBA, 0xD202, 0x9649)]
    public void UInt32_and_Int32_in_every_order(RegisterOrder order, int first, int second)
    {
        ushort[] registers = [(ushort)first, (ushort)second];
        Assert.True(RegisterDecoder.TryDecode(registers, ModbusDataType.UInt32, order, true, out var unsigned));
        Assert.True(RegisterDecoder.TryDecode(registers, ModbusDataType.Int32, order, true, out var signed));
        Assert.Equal(1234567890, unsigned);
        Assert.Equal(1234567890, signed);
    }

    [Fact]
    public void Float32_becomes_the_decimal_the_device_meant_not_its_binary_widening()
    {
        // 0.92f is 0x3F6B851F; widened naively it would print as 0.9200000166893005.
        Assert.True(RegisterDecoder.TryDecode([0x3F6B, 0x851F], ModbusDataType.Float32, RegisterOrder.ABCD, true, out var value));
        Assert.Equal(0.92, value);

        // A whole float stays exact: 123456768 Wh is not rounded to its shortest form 123456770.
        Assert.True(RegisterDecoder.TryDecode([0x4CEB, 0x79A0], ModbusDataType.Float32, RegisterOrder.ABCD, true, out var whole));
        Assert.Equal(123456768, whole);
    }

    [Fact]
    public void Negative_integers_keep_their_sign()
    {
        Assert.True(RegisterDecoder.TryDecode([0xFB2E], ModbusDataType.Int16, RegisterOrder.ABCD, true, out var int16));
        Assert.Equal(-1234, int16);
        Assert.True(RegisterDecoder.TryDecode([0xFFFF, 0xFFFE], ModbusDataType.Int32, RegisterOrder.ABCD, true, out var int32));
        Assert.Equal(-2, int32);
        Assert.True(RegisterDecoder.TryDecode([0xFFFF, 0xFFFF, 0xFFFF, 0xFF38], ModbusDataType.Int64, RegisterOrder.ABCD, true, out var int64));
        Assert.Equal(-200, int64);
    }

    [Fact]
    public void Int64_watt_hours_as_schneider_sends_them()
    {
        // 123 456 789 012 Wh = 0x0000_001C_BE99_1A14, high word first.
        ushort[] registers = [0x0000, 0x001C, 0xBE99, 0x1A14];

        Assert.True(RegisterDecoder.TryDecode(registers, ModbusDataType.Int64, RegisterOrder.ABCD, true, out var abcd));
        Assert.True(RegisterDecoder.TryDecode([.. registers.Reverse()], ModbusDataType.UInt64, RegisterOrder.CDAB, true, out var cdab));

        Assert.Equal(123_456_789_012, abcd);
        Assert.Equal(123_456_789_012, cdab);
    }

    [Fact]
    public void Float64_in_big_and_little_endian()
    {
        // 1234567.125 = 0x4132_D687_2000_0000.
        ushort[] big = [0x4132, 0xD687, 0x2000, 0x0000];
        ushort[] little = [0x0000, 0x0020, 0x87D6, 0x3241];

        Assert.True(RegisterDecoder.TryDecode(big, ModbusDataType.Float64, RegisterOrder.ABCD, true, out var a));
        Assert.True(RegisterDecoder.TryDecode(little, ModbusDataType.Float64, RegisterOrder.DCBA, true, out var b));

        Assert.Equal(1234567.125, a);
        Assert.Equal(1234567.125, b);
    }

    [Theory]
    [InlineData(ModbusDataType.UInt16, new[] { 0xFFFF })]
    [InlineData(ModbusDataType.Int16, new[] { 0x7FFF })]
    [InlineData(ModbusDataType.Int16, new[] { 0x8000 })]
    [InlineData(ModbusDataType.UInt32, new[] { 0xFFFF, 0xFFFF })]
    [InlineData(ModbusDataType.Int32, new[] { 0x7FFF, 0xFFFF })]
    [InlineData(ModbusDataType.Int32, new[] { 0x8000, 0x0000 })]
    [InlineData(ModbusDataType.Float32, new[] { 0x7FC0, 0x0000 })]
    [InlineData(ModbusDataType.Float32, new[] { 0x7F80, 0x0000 })]
    [InlineData(ModbusDataType.UInt64, new[] { 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF })]
    [InlineData(ModbusDataType.Int64, new[] { 0x7FFF, 0xFFFF, 0xFFFF, 0xFFFF })]
    public void Sentinels_and_non_finite_floats_are_no_value(ModbusDataType type, int[] words)
    {
        ushort[] registers = [.. words.Select(w => (ushort)w)];

        Assert.False(RegisterDecoder.TryDecode(registers, type, RegisterOrder.ABCD, rejectSentinels: true, out _));
    }

    [Fact]
    public void Sentinel_check_can_be_turned_off_for_registers_where_all_ones_is_a_real_value()
    {
        Assert.True(RegisterDecoder.TryDecode([0xFFFF], ModbusDataType.UInt16, RegisterOrder.ABCD, rejectSentinels: false, out var value));
        Assert.Equal(65535, value);
        Assert.False(RegisterDecoder.TryDecode([0x7FC0, 0x0000], ModbusDataType.Float32, RegisterOrder.ABCD, rejectSentinels: false, out _));
    }

    [Fact]
    public void Bit_fields_are_read_from_the_least_significant_bit()
    {
        Assert.Equal(0b101u, RegisterDecoder.Bits(0b1010_0000, 5, 3));
        Assert.Equal(1u, RegisterDecoder.Bits(0x8000, 15, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RegisterDecoder.Bits(0, 10, 7));
    }

    [Theory]
    [InlineData(0.92, 0.92, false)]
    [InlineData(-0.85, 0.85, false)]
    [InlineData(1.2, 0.8, true)]
    [InlineData(-1.3, 0.7, true)]
    [InlineData(1.0, 1.0, false)]
    public void Schneider_four_quadrant_power_factor(double encoded, double expected, bool leading)
    {
        var (pf, isLeading) = RegisterDecoder.SchneiderPowerFactor(encoded);

        Assert.Equal(expected, pf, 12);
        Assert.Equal(leading, isLeading);
    }
}
